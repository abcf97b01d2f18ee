#!/usr/bin/env bash
# Builds the Python adapter as a WebAssembly component, <name>.wasm (<name> is NAME in
# src/meta.py), with componentize-py (pip install componentize-py==0.25.1; the wheel
# carries CPython, its standard library and the WASI libraries, so the build needs no
# network).
#
#   ./build.sh            # writes ./<name>.wasm
#   ./build.sh DIR        # writes DIR/<name>.wasm (e.g. a running gateway's plugins.dir)
#
# COMPONENTIZE_PY names the tool when it is not on PATH (e.g. a venv's bin/). No WASI
# stubbing (`--stub-wasi` is not passed): the component imports WASI 0.2 (clocks,
# random, an empty filesystem and environment), which the gateway links, so time.time()
# and os.urandom() are the host's at every call. The file is written under a temporary
# name and renamed, so a gateway watching DIR never reads half a file.
set -euo pipefail

# A relative DIR is relative to where the script is called from, and is created if
# missing; without one, the adapter's own folder.
if [[ -n ${1:-} ]]; then mkdir -p "$1"; fi
out_dir=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")}" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")"
tool=${COMPONENTIZE_PY:-componentize-py}

if ! command -v "$tool" >/dev/null; then
    echo "componentize-py is missing: pip install componentize-py==0.25.1 (or set COMPONENTIZE_PY)" >&2
    exit 1
fi
name=$(cd src && python3 -c 'import meta; print(meta.NAME)')

# -p src only: the module search path is this folder (componentize-py also adds the
# site-packages of the Python it finds, for third-party packages; this adapter needs
# none). The app module is `adapter`, named after the exported interface.
"$tool" --wit-path wit --world adapter-world componentize adapter \
    --python-path src \
    --output "$out_dir/.$name.wasm.tmp"
mv "$out_dir/.$name.wasm.tmp" "$out_dir/$name.wasm"
echo "$out_dir/$name.wasm"
