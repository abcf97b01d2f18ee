#!/usr/bin/env bash
# Builds the JavaScript adapter as a WebAssembly component, <name>.wasm (<name> from
# package.json, which src/package.js is generated from), with componentize-js (pinned
# in package-lock.json).
#
#   ./build.sh            # writes ./<name>.wasm
#   ./build.sh DIR        # writes DIR/<name>.wasm (e.g. a running gateway's plugins.dir)
#
# StarlingMonkey's WASI features (`-d` disables one):
# - `http` and `fetch-event` are disabled: they import `wasi:http`, which the gateway
#   does not link, so the file would be refused at load.
# - `stdio` is disabled: the gateway discards an adapter's output anyway.
# - `clocks` and `random` stay. The component is a snapshot of the engine taken at build
#   time (wizer); with them disabled, `Date.now()` answers the build's time forever (every
#   synthesised `created` would be that time) and `Math.random()` replays the snapshot's
#   sequence in every new instance (and so the ids made from it). With them, the component
#   imports `wasi:clocks` and `wasi:random`, which the gateway links (all of WASI 0.2,
#   with an empty context): the host's clocks and randomness.
set -euo pipefail

# A relative DIR is relative to where the script is called from, and is created if
# missing; without one, the adapter's own folder.
if [[ -n ${1:-} ]]; then mkdir -p "$1"; fi
out_dir=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")}" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")"
name=$(node -p 'require("./package.json").name')

if [[ ! -d node_modules/@bytecodealliance/componentize-js ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
fi

node package-module.mjs
npx componentize-js src/adapter.js \
    --wit wit \
    --world-name adapter-world \
    --disable stdio http fetch-event \
    --out "$out_dir/.$name.wasm.tmp"
mv "$out_dir/.$name.wasm.tmp" "$out_dir/$name.wasm"
echo "$out_dir/$name.wasm"
