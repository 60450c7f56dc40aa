#!/usr/bin/env bash
# Runs a command with a virtual display (Xvfb) and tauri-driver (WebDriver for the desktop app),
# then stops both. The desktop tests find tauri-driver through TENANTRY_WEBDRIVER.
# Usage: with-desktop.sh COMMAND [ARGS...]
set -euo pipefail

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A display number nobody uses.
for n in $(seq 90 140); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then DISPLAY_NUMBER=$n; break; fi
done
Xvfb ":$DISPLAY_NUMBER" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUMBER"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

DRIVER_PORT=$(free_port)
NATIVE_PORT=$(free_port)
# The app inherits tauri-driver's environment: its "system browser" is a helper that follows the
# fake Xero's redirect back to the app, as a person's browser would after they approve.
BROWSER="curl -fsSL --max-time 20 -o /dev/null" NO_AT_BRIDGE=1 \
  tauri-driver --port "$DRIVER_PORT" --native-port "$NATIVE_PORT" >"${TMPDIR:-/tmp}/tenantry-tauri-driver.log" 2>&1 &
DRIVER_PID=$!
cleanup() {
  kill "$DRIVER_PID" 2>/dev/null || true
  wait "$DRIVER_PID" 2>/dev/null || true
  kill "$XVFB_PID" 2>/dev/null || true
  wait "$XVFB_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$DRIVER_PORT/status" >/dev/null 2>&1 && break
  sleep 0.1
done
export TENANTRY_WEBDRIVER="http://127.0.0.1:$DRIVER_PORT"

"$@"
