#!/usr/bin/env bash
# The suite itself: formatting, lints, every test. scripts/test.sh runs it with the services set up.
set -euo pipefail
echo "==> cargo fmt --check" >&2
cargo fmt --all --check
echo "==> cargo clippy -D warnings" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test" >&2
cargo test --workspace --locked "$@"
# ts-rs rewrote ui/src/bindings during the tests; the checked-in bindings must match the Rust types.
echo "==> IPC bindings are current" >&2
if [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
  git status --short -- ui/src/bindings >&2
  echo "ui/src/bindings differs from the Rust types: run cargo test and commit the result." >&2
  exit 1
fi
(cd ui && npm run --silent check)
