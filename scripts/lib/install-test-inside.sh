#!/bin/bash
# The part of the installer's test that runs inside the clean root (scripts/lib/install-test.sh
# copies it there and runs it with chroot, as root, in an empty environment).
# Usage: install-test-inside.sh PACKAGE.deb SCREENSHOT_DIR      (the whole test)
#        install-test-inside.sh --desktop SCREENSHOT_DIR        (its desktop part, inside D-Bus)
set -euo pipefail
trap 'echo "install test (inside the clean root): failed at line $LINENO: $BASH_COMMAND" >&2' ERR
step() { printf '\033[1m==> [clean root] %s\033[0m\n' "$*" >&2; }
fail() { echo "install test (inside the clean root): $*" >&2; exit 1; }
# Waits up to $1 seconds for the command after it to succeed.
within() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}
shoot() { xwd -root -silent >"$shots/$1.xwd"; }

if [ "$1" = --desktop ]; then
  shots="$2"
  log=/tmp/desktop.log
  step "tenantry-desktop --demo starts in a window"
  TENANTRY_LOG=info tenantry-desktop --demo >"$log" 2>&1 &
  app=$!
  window_up() { xwininfo -root -tree | grep -q '"Tenantry"'; }
  within 60 window_up || { cat "$log" >&2; fail "no Tenantry window within 60 s"; }
  # The CLI sees the demo profile the window opened, through the same keyring.
  logins_up() { (tenantry --profile demo status --json || true) | grep -q '"email"'; }
  within 30 logins_up || { cat "$log" >&2; fail "the demo profile shows no logins"; }
  sleep 3 # first paint of a debug build under Xvfb takes about 2.5 s
  shoot installed-demo

  step "tenantry doctor passes on the demo profile"
  doctor="$(tenantry --profile demo doctor 2>&1)" || { echo "$doctor" >&2; fail "doctor failed on the demo profile"; }

  step "xdg-open tenantry://login/… reaches the running window"
  # status exits 3 while a demo login needs a human: only its output matters here.
  status="$(tenantry --profile demo status --json || true)"
  login="$(grep -o '"id": "[^"]*"' <<<"$status" | head -1 | cut -d'"' -f4)"
  [ -n "$login" ] || fail "status --json names no login id"
  # The link starts a second tenantry-desktop, which must hand it over and exit at once.
  timeout 30 xdg-open "tenantry://login/$login" ||
    { cat "$log" >&2; fail "xdg-open did not return within 30 s: the second instance kept running"; }
  opened() { grep -q "a tenantry:// link opened a login.*$login" "$log"; }
  within 15 opened || { cat "$log" >&2; fail "the running window never received tenantry://login/$login"; }
  [ "$(pgrep -c -f '^tenantry-desktop( |$)')" = 1 ] || fail "not exactly one tenantry-desktop runs: $(pgrep -af tenantry-desktop)"
  sleep 1.5
  shoot installed-link
  kill "$app"
  wait "$app" 2>/dev/null || true
  exit 0
fi

deb="$1" shots="$2"
export DEBIAN_FRONTEND=noninteractive
version="$(dpkg-deb -f "$deb" Version)"

step "apt installs the package and what it depends on (and recommends)"
apt-get update -q >/dev/null
apt-get install -y -q "$deb" >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log >&2; fail "apt could not install the package"; }
for bin in tenantry tenantry-desktop; do
  [ "$(command -v "$bin")" = "/usr/bin/$bin" ] || fail "$bin is not on PATH after the install"
done
# Before any test tool is installed, so nothing else brought a library the package forgot.
if ldd /usr/bin/tenantry /usr/bin/tenantry-desktop | grep 'not found'; then
  fail "the package's dependencies leave libraries missing (above)"
fi

step "both binaries answer --version with the package's version"
[ "$(tenantry --version)" = "tenantry $version" ] || fail "tenantry --version said '$(tenantry --version)'"
[ "$(tenantry-desktop --version)" = "tenantry-desktop $version" ] ||
  fail "tenantry-desktop --version said '$(tenantry-desktop --version)'"

step "tenantry doctor runs, and says what is missing before anything is set up"
if out="$(tenantry doctor 2>&1)"; then fail "doctor passed with no configuration: $out"; fi
grep -q "no Xero client id is set" <<<"$out" || fail "doctor did not name the missing client id: $out"

step "the installed desktop entry handles tenantry://"
handler="$(xdg-mime query default x-scheme-handler/tenantry)"
[ "$handler" = Tenantry.desktop ] || fail "xdg-mime names '$handler' as the tenantry:// handler"

step "test tools: a virtual display, screenshots, a D-Bus session"
apt-get install -y -q --no-install-recommends xvfb xauth x11-apps x11-utils dbus procps >/tmp/apt-tools.log 2>&1 ||
  { tail -30 /tmp/apt-tools.log >&2; fail "could not install the test tools"; }
Xvfb :7 -screen 0 1280x800x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &
xvfb=$!
export DISPLAY=:7
within 10 xdpyinfo || fail "Xvfb did not start: $(cat /tmp/xvfb.log)"
dbus-run-session -- /tmp/with-private-keyring.sh /bin/bash "$0" --desktop "$shots"
# No desktop run may have replaced the package's handler with a per-user one.
handler="$(xdg-mime query default x-scheme-handler/tenantry)"
[ "$handler" = Tenantry.desktop ] || fail "after a run, xdg-mime names '$handler' as the tenantry:// handler"
kill "$xvfb"

step "removing the package takes the binaries and keeps the user's data"
apt-get remove -y -q tenantry >/tmp/apt-remove.log 2>&1 || { tail -30 /tmp/apt-remove.log >&2; fail "apt could not remove the package"; }
for path in /usr/bin/tenantry /usr/bin/tenantry-desktop /usr/share/applications/Tenantry.desktop; do
  [ ! -e "$path" ] || fail "$path is still there after removing the package"
done
[ -s /root/.config/tenantry/demo.toml ] || fail "the demo profile's configuration went with the package"
[ -s /root/.local/share/tenantry/demo/tenantry.db ] || fail "the demo profile's data went with the package: $(ls -la /root/.local/share/tenantry/demo 2>&1)"
