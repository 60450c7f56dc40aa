#!/usr/bin/env bash
# Refreshes docs/screenshots/: the desktop app's main screens with the demo's data, in the light
# and the dark theme, taken through WebDriver in a virtual display with a private keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
OUT="$PWD/docs/screenshots"
mkdir -p "$OUT"
for theme in light dark; do
  gtk_theme=Adwaita
  [ "$theme" = dark ] && gtk_theme=Adwaita:dark
  SHOT_HOME="$(mktemp -d)"
  HOME="$SHOT_HOME" GTK_THEME="$gtk_theme" TENANTRY_SCREENSHOTS="$OUT" TENANTRY_SCREENSHOT_THEME="$theme" \
    dbus-run-session -- scripts/lib/with-private-keyring.sh scripts/lib/with-desktop.sh \
    cargo test -q -p tenantry-tests --test e2e desktop::screenshots -- --ignored --exact
  rm -rf "$SHOT_HOME"
done
ls -l "$OUT"
