#!/usr/bin/env bash
# Builds the JavaScript adapter as a WebAssembly component, <name>.wasm (<name> from
# package.json), with componentize-js (pinned in package-lock.json).
#
#   ./build.sh            # writes ./<name>.wasm
#   ./build.sh DIR        # writes DIR/<name>.wasm (e.g. a running gateway's plugins.dir)
#
# All of StarlingMonkey's WASI features are disabled (`-d ...`): the gateway gives
# adapters no I/O, and without them the component imports no WASI interface at all.
# `http` and `fetch-event` must go in any case: the gateway links no `wasi:http`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
out_dir=$(cd "${1:-.}" && pwd)
name=$(node -p 'require("./package.json").name')

if [[ ! -d node_modules/@bytecodealliance/componentize-js ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
fi

npx componentize-js src/adapter.js \
    --wit wit \
    --world-name adapter-world \
    --disable stdio random clocks http fetch-event \
    --out "$out_dir/.$name.wasm.tmp"
mv "$out_dir/.$name.wasm.tmp" "$out_dir/$name.wasm"
echo "$out_dir/$name.wasm"
