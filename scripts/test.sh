#!/usr/bin/env bash
# The whole test suite: set-up, formatting, lints, then every test of every
# crate, including the interoperability tests against the real ovs-ofctl.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --quiet
