#!/usr/bin/env bash
# The suite itself: formatting, lints, every test. scripts/test.sh runs it with the services set up.
set -euo pipefail
echo "==> cargo fmt --check" >&2
cargo fmt --all --check
echo "==> cargo clippy -D warnings" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test" >&2
cargo test --workspace --locked "$@"
