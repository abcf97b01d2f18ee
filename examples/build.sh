#!/usr/bin/env bash
# Builds the example adapters into target/examples/wasm/ (or DIR): template.wasm,
# ollama.wasm (Rust, wasm32-wasip2, one shared target dir) and js-openai.wasm
# (componentize-js; runs `npm ci` on first use). tests/e2e/test_examples.py loads them.
#
#   bash examples/build.sh [DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/target/examples/wasm}
mkdir -p "$out"

# Each example vendors the contract so it builds wherever it is copied; a copy that
# drifted from wit/<version>/ would build adapters for a contract this gateway does not
# speak. The template targets the newest contract; Ollama and the JavaScript adapter
# stay on 0.1, which the gateway keeps loading unchanged.
for pair in adapter-template:0.2 ollama:0.1 js-adapter:0.1; do
    example=${pair%:*}
    version=${pair#*:}
    for wit in "$root"/wit/"$version"/*.wit; do
        if ! cmp -s "$wit" "$root/examples/$example/wit/$(basename "$wit")"; then
            echo "examples/$example/wit/$(basename "$wit") differs from wit/$version/: cp wit/$version/*.wit examples/$example/wit/" >&2
            exit 1
        fi
    done
done

# A target dir of their own: the workspace's may be locked by another build.
export CARGO_TARGET_DIR=$root/target/examples
bash "$root/examples/adapter-template/build.sh" "$out"
bash "$root/examples/ollama/build.sh" "$out"
bash "$root/examples/js-adapter/build.sh" "$out"
