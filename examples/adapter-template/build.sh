#!/usr/bin/env bash
# Builds this adapter as a WebAssembly component named after the package:
# package `plugin-<name>` -> `<name>.wasm`, the file name the gateway expects.
#
#   ./build.sh            # writes ./<name>.wasm
#   ./build.sh DIR        # writes DIR/<name>.wasm (e.g. a running gateway's plugins.dir)
#
# The file is written under a temporary name and renamed, so a gateway watching DIR
# never reads half a file. CARGO_TARGET_DIR is honoured.
set -euo pipefail

# A relative DIR is relative to where the script is called from, and is created if
# missing; without one, the adapter's own folder.
if [[ -n ${1:-} ]]; then mkdir -p "$1"; fi
out_dir=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")}" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")"

package=$(sed -n 's/^name *= *"\(.*\)"$/\1/p' Cargo.toml | head -n 1)
name=${package#plugin-}

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    echo "the wasm32-wasip2 target is missing: rustup target add wasm32-wasip2" >&2
    exit 1
fi

cargo build --release --target wasm32-wasip2
target_dir=${CARGO_TARGET_DIR:-target}
built="$target_dir/wasm32-wasip2/release/${package//-/_}.wasm"

cp "$built" "$out_dir/.$name.wasm.tmp"
mv "$out_dir/.$name.wasm.tmp" "$out_dir/$name.wasm"
echo "$out_dir/$name.wasm"
