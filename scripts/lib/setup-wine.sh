#!/usr/bin/env bash
# Makes the private Wine prefix the Windows runs use (scripts/lib/windows.sh), in the cache outside
# the repository, so a fresh clone reuses it: Wine 8 with the one DLL it lacks for Rust programs
# (bcryptprimitives.dll, built here from scripts/lib/wine/ with MinGW: see the source for why; real
# Windows has it), and no Mono or Gecko (no display, no network: nothing here needs them).
# Idempotent and quick when the prefix is there. Run it, or source it: sourced, it sets
# TENANTRY_WINEPREFIX.
TENANTRY_WINEPREFIX="${TENANTRY_CACHE:-/var/cache/tenantry}/wine-prefix"

tenantry_setup_wine() (
  set -euo pipefail
  say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  prefix="$TENANTRY_WINEPREFIX"
  src="$here/wine/bcryptprimitives.c"
  stamp="$prefix/tenantry-shim.sha256"
  wanted="$(cat "$src" "$here/wine/bcryptprimitives.def" | sha256sum | cut -d' ' -f1)"
  if [ -f "$prefix/system.reg" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    exit 0
  fi
  mkdir -p "$(dirname "$prefix")"
  if [ ! -f "$prefix/system.reg" ]; then
    say "Making the Wine prefix for the Windows runs ($prefix)"
    # mscoree and mshtml off: without them wineboot would offer to fetch Mono and Gecko.
    WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
      timeout 300 wine wineboot --init >/dev/null 2>&1
    WINEPREFIX="$prefix" timeout 60 wineserver -w
  fi
  say "Building Wine's missing bcryptprimitives.dll (ProcessPrng) for Rust programs"
  dll="$(mktemp -d)/bcryptprimitives.dll"
  x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" "$src" "$here/wine/bcryptprimitives.def" -ladvapi32
  install -m 0644 "$dll" "$prefix/drive_c/windows/system32/bcryptprimitives.dll"
  rm -rf "$(dirname "$dll")"
  printf '%s\n' "$wanted" >"$stamp"
)

tenantry_setup_wine || { [ "${BASH_SOURCE[0]}" != "$0" ] && return 1; exit 1; }
