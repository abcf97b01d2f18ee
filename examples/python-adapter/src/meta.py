"""The adapter's name and version, in one place: `info()` reports them and build.sh
names the file after `NAME` (the gateway refuses a file whose stem differs from
`info().name`)."""

# Models select the adapter by this name; the file must be `<NAME>.wasm`.
NAME = "py-openai"
VERSION = "0.1.0"
