#!/usr/bin/env bash
# The example adapters' own checks: format, clippy and native unit tests of the two
# Rust crates (each its own workspace), the JS adapter's `node --test` and the Python
# adapter's unittest (its translation is plain Python: no componentize-py needed).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=$root/target/examples
status=0
for crate in adapter-template ollama; do
    (
        cd "$root/examples/$crate"
        cargo fmt -- --check
        cargo clippy --all-targets -- -D warnings
        cargo clippy --target wasm32-wasip2 -- -D warnings
        cargo test --quiet
    ) || status=1
done
(cd "$root/examples/js-adapter" && npm test --silent) || status=1
(cd "$root/examples/python-adapter" && python3 -m unittest discover -s tests -q) || status=1
exit "$status"
