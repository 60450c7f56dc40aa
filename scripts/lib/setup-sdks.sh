#!/usr/bin/env bash
# Installs the real client packages the gateway and MCP tests drive, from their registries, into
# caches outside the repository (as setup-actionlint.sh does for its venv):
# - a Python venv with the official MCP SDK (`mcp`, the client the MCP tests speak through) and
#   Xero's own xero-python SDK;
# - a node_modules with Xero's own xero-node SDK.
# Pinned, so every machine tests the same clients; bump them here. Idempotent and silent when
# nothing is missing. Run it, or source it: sourced, it sets TENANTRY_SDK_PYTHON (the venv's
# python) and TENANTRY_SDK_NODE_PATH (the node_modules directory) for the tests.

TENANTRY_SDK_PY="mcp==2.3.0 xero-python==15.2.0"
TENANTRY_SDK_NODE="xero-node@20.0.0"
TENANTRY_SDK_PYTHON="${TENANTRY_CACHE:-/var/cache/tenantry}/sdk-venv/bin/python"
TENANTRY_SDK_NODE_PATH="${TENANTRY_CACHE:-/var/cache/tenantry}/sdk-node/node_modules"

tenantry_setup_sdks() (
  set -euo pipefail
  say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
  sudo_if_needed() { if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi; }
  cache="${TENANTRY_CACHE:-/var/cache/tenantry}"
  venv="$cache/sdk-venv"
  node_dir="$cache/sdk-node"
  if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    sudo_if_needed mkdir -p "$cache"
    sudo_if_needed chown "$(id -u):$(id -g)" "$cache"
  fi

  if [ "$(cat "$venv/tenantry-sdks" 2>/dev/null)" != "$TENANTRY_SDK_PY" ] ||
    ! "$venv/bin/python" -c 'import mcp, xero_python' 2>/dev/null; then
    say "Installing $TENANTRY_SDK_PY into $venv"
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
      sudo_if_needed apt-get update -q
      sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
    fi
    if ! "$venv/bin/python" -c '' 2>/dev/null; then
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    # shellcheck disable=SC2086 # one word per package
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $TENANTRY_SDK_PY
    printf '%s' "$TENANTRY_SDK_PY" >"$venv/tenantry-sdks"
  fi

  if [ "$(cat "$node_dir/tenantry-sdks" 2>/dev/null)" != "$TENANTRY_SDK_NODE" ] ||
    [ ! -d "$node_dir/node_modules/xero-node" ]; then
    say "Installing $TENANTRY_SDK_NODE into $node_dir"
    mkdir -p "$node_dir"
    [ -f "$node_dir/package.json" ] || printf '{"private": true}\n' >"$node_dir/package.json"
    npm install --prefix "$node_dir" --no-audit --no-fund --silent "$TENANTRY_SDK_NODE"
    printf '%s' "$TENANTRY_SDK_NODE" >"$node_dir/tenantry-sdks"
  fi
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  tenantry_setup_sdks
else
  tenantry_setup_sdks || return
  export TENANTRY_SDK_PYTHON TENANTRY_SDK_NODE_PATH
fi
