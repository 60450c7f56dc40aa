#!/usr/bin/env bash
# Builds Tenantry's Linux packages with Tauri's bundler: a .deb and an .rpm, each carrying the
# desktop app and the `tenantry` CLI in /usr/bin, the icons, and a desktop entry that handles
# tenantry:// links. Prints the paths of the packages it made.
#
# Usage: scripts/package.sh [--debug] [--bundles deb,rpm] [--no-setup]
#   --debug     package the debug build scripts/setup.sh already made (what the suite's install
#               test does: no second, release, build of the whole app). The packages for users
#               are the default, release, build.
#   --no-setup  skip scripts/setup.sh (scripts/test.sh has just run it)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
bundles=deb,rpm
setup=yes
while (($#)); do
  case "$1" in
    --debug) profile=debug ;;
    --no-setup) setup=no ;;
    --bundles) bundles="${2:?--bundles needs a list, e.g. deb,rpm}"; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

[ "$setup" = no ] || ./scripts/setup.sh
tauri=ui/node_modules/.bin/tauri
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

stage=target/package # the debug packaging's own target directory (below)
if [ "$profile" = release ]; then out=target/release/bundle; else out="$stage/debug/bundle"; fi
rm -rf "$out/deb" "$out/rpm" # so the list at the end names only what this run made

if [ "$profile" = release ]; then
  say "Building the release CLI"
  cargo build --release --locked -p tenantry-cli
  say "Building the release app and its packages ($bundles)"
  "$tauri" build --ci --bundles "$bundles" >&2
else
  # The bundler marks the binary it packages with the package's type, in place. Stage copies, so
  # the tree's own debug binary (the one the tests and scripts/run.sh start) stays unmarked.
  mkdir -p "$stage/debug"
  cp target/debug/tenantry-desktop target/debug/tenantry "$stage/debug/"
  # The install test needs the programs, not their line tables: stripped, the packages are smaller.
  strip --strip-debug "$stage/debug/tenantry-desktop" "$stage/debug/tenantry"
  files="{\"/usr/bin/tenantry\": \"$stage/debug/tenantry\"}"
  say "Packaging the debug build ($bundles)"
  CARGO_TARGET_DIR="$stage" "$tauri" bundle --ci --debug --bundles "$bundles" \
    --config "{\"bundle\": {\"linux\": {\"deb\": {\"files\": $files}, \"rpm\": {\"files\": $files}}}}" >&2
fi
# stdout is only the packages' paths, for scripts.
find "$out" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' \) -print
