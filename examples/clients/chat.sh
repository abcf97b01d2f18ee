#!/usr/bin/env bash
# Plain and streamed chat with curl. Usage: examples/clients/chat.sh [model]
set -euo pipefail
url=${SWITCHYARD_URL:-http://127.0.0.1:8080/v1}
model=${1:-gpt-4o-mini}
curl -sS "$url/chat/completions" -H 'content-type: application/json' \
  -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"
echo
curl -sSN "$url/chat/completions" -H 'content-type: application/json' \
  -d "{\"model\":\"$model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"
