"""Checks this dialect's output against the `openai` SDK's pydantic types.

    rm -rf /tmp/dump && mkdir /tmp/dump
    RESPONSES_DUMP=/tmp/dump cargo test -p plugin-responses -- --test-threads=1
    python plugins/responses/sdk_check.py /tmp/dump    # a Python with `openai` installed

Every stream event the tests make is validated with the `ResponseStreamEvent` type
adapter, every whole Response with `Response.model_validate`. Strict validation refuses
`response.error.code` values outside the SDK's Literal (`context_length_exceeded`,
`insufficient_quota`, `server_is_overloaded`), which the API and Codex use; the SDK
itself builds streamed events without validation, so those are reported, not failed.
"""
import collections
import json
import sys

from openai.types.responses import Response, ResponseFailedEvent, ResponseStreamEvent
from pydantic import TypeAdapter, ValidationError

LENIENT = {("response", "error", "code")}


def main(folder):
    events = TypeAdapter(ResponseStreamEvent)
    valid, lenient, invalid = collections.Counter(), collections.Counter(), []
    checks = [(json.loads(line), events.validate_python) for line in open(f"{folder}/events.jsonl")]
    checks += [(json.loads(line), Response.model_validate) for line in open(f"{folder}/responses.jsonl")]
    for value, validate in checks:
        kind = value.get("type") if "sequence_number" in value else "Response"
        try:
            validate(value)
            valid[kind] += 1
        except ValidationError as error:
            if kind == "response.failed":
                try:
                    ResponseFailedEvent.model_validate(value)
                except ValidationError as failed:
                    if {tuple(e["loc"]) for e in failed.errors()} <= LENIENT:
                        lenient[value["response"]["error"]["code"]] += 1
                        continue
            invalid.append((kind, error.errors()[0]["loc"], error.errors()[0]["msg"]))
    print("valid:", dict(valid))
    print("valid but for the error code Literal:", dict(lenient))
    print("invalid:", invalid)
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/dump"))
