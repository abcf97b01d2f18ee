#!/usr/bin/env bash
# Builds the example adapters into target/examples/wasm/ (or DIR): template.wasm,
# ollama.wasm (Rust, wasm32-wasip2, one shared target dir), js-openai.wasm
# (componentize-js; runs `npm ci` on first use) and py-openai.wasm (componentize-py;
# skipped with a message when it is not installed). tests/e2e/test_examples.py loads
# them.
#
#   bash examples/build.sh [DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/target/examples/wasm}
mkdir -p "$out"

# Each example vendors the contract so it builds wherever it is copied; a copy that
# drifted from wit/<version>/ would build adapters for a contract this gateway does not
# speak. The Python adapter targets the newest contract; Ollama and the JavaScript
# adapter stay on 0.1, which the gateway keeps loading unchanged. (The template builds
# on plugins/kit, which carries the contract: it has no copy of its own.)
for pair in python-adapter:0.2 ollama:0.1 js-adapter:0.1; do
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

# componentize-py is a pip package (componentize-py==0.25.1), looked for as
# $COMPONENTIZE_PY, then in the repository's .venv, then on PATH. Without it the Python
# adapter is skipped, and a py-openai.wasm left by an earlier build is removed so that
# its tests skip too instead of testing a stale file.
componentize_py=${COMPONENTIZE_PY:-}
if [[ -z $componentize_py && -x $root/.venv/bin/componentize-py ]]; then
    componentize_py=$root/.venv/bin/componentize-py
fi
if [[ -z $componentize_py ]]; then
    componentize_py=$(command -v componentize-py || true)
fi
if [[ -n $componentize_py ]]; then
    COMPONENTIZE_PY=$componentize_py bash "$root/examples/python-adapter/build.sh" "$out"
else
    rm -f "$out/py-openai.wasm"
    echo "skipping examples/python-adapter (py-openai.wasm): componentize-py is not installed;" \
        "pip install componentize-py==0.25.1 (into .venv, or set COMPONENTIZE_PY) to build it" >&2
fi
