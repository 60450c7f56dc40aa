#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint, so a workflow that GitHub would reject or
# that can no longer work fails here, where CI runs, rather than unseen on GitHub. actionlint
# checks the syntax, expressions, `needs`, matrix values and the inputs of well-known actions, and
# runs shellcheck on every `run:` script: the pinned shellcheck from the same venv, never
# disabled, so a missing shellcheck cannot quietly turn that half of the check off.
# Exits non-zero on any finding. Usage: scripts/lib/lint-workflows.sh [WORKFLOW.yml ...]
# (default: every workflow in .github/workflows/).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup-actionlint.sh
source scripts/lib/setup-actionlint.sh # installs on first use; silent afterwards

if [ $# -eq 0 ]; then
  shopt -s nullglob
  set -- .github/workflows/*.yml .github/workflows/*.yaml
  if [ $# -eq 0 ]; then
    echo "no workflows in .github/workflows/ to lint" >&2
    exit 1
  fi
fi
exec "$TENANTRY_TOOLS_BIN/actionlint" -shellcheck="$TENANTRY_TOOLS_BIN/shellcheck" "$@"
