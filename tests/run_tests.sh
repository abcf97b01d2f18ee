#!/usr/bin/env bash
# The one test command: formatting, lints, the Rust test suites, then the Python
# end-to-end tests with the official `openai` client against the real binaries.
# Run from anywhere; needs the wasm32-wasip2 target and, for the last step, a Python
# with `openai` and `pytest` (.venv is used when present; `.ci/run` sets it up).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

# Bins and tests together: this selection resolves the same dependency features as
# `cargo test --workspace`, so each dependency is compiled once (tests/src/binary.rs
# builds the gateway with the same selection).
step "build the binaries and the test binaries"
cargo build --workspace --bins --tests

step "build the example adapters (examples/, loaded by tests/e2e/test_examples.py)"
bash examples/build.sh

# Both suites run even when the first fails, so one run reports every failure.
status=0
step "cargo test"
cargo test --workspace --no-fail-fast || status=$?

step "example adapters: fmt, clippy, native tests, node --test"
bash examples/test.sh || status=$?

# Claude Code and Codex, driven offline by tests/e2e/test_claude_code.py and
# tests/e2e/test_codex.py (pinned by their lockfile).
if [[ ! -x tests/agents/node_modules/.bin/claude || ! -x tests/agents/node_modules/.bin/codex ]]; then
    step "npm ci tests/agents (Claude Code, Codex)"
    npm ci --prefix tests/agents --no-audit --no-fund
fi

if [[ -x .venv/bin/python ]]; then
    python=.venv/bin/python
else
    python=python3
fi
step "pytest tests/e2e ($python)"
"$python" -m pytest tests/e2e -q -p no:cacheprovider || status=$?

# The matrix's other database: the client-facing suites again, every gateway on a fresh
# Postgres database (tests/e2e/servers.py starts the server).
step "pytest tests/e2e on Postgres"
SWITCHYARD_TEST_DATABASE=postgres "$python" -m pytest -q -p no:cacheprovider \
    tests/e2e/test_openai_client.py tests/e2e/test_responses.py tests/e2e/test_messages.py \
    tests/e2e/test_spend.py \
    tests/e2e/test_operations.py tests/e2e/test_console.py || status=$?

exit "$status"
