"""OpenAI request body → the OpenAI-compatible platform's request.

The body passes through untouched except `model` (the configured upstream model) and,
on streams, `stream_options.include_usage`, forced on so the gateway can count tokens
(the stream transformer hides the usage chunk again from clients that did not ask)."""

from __future__ import annotations

import json

from .errors import bad_request
from .jsonio import encode

# The platform's chat path, relative to a base URL ending in `/v1`.
CHAT_PATH = "/chat/completions"


def from_openai(body: bytes, upstream_model: str, streaming: bool) -> bytes:
    """The upstream body for a client's body; raises `ApiFailure` (400) for one that is
    not a JSON object."""
    try:
        request = json.loads(body)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise bad_request(f"the request body is not JSON: {err}") from None
    if not isinstance(request, dict):
        raise bad_request("the request body must be a JSON object")
    request["model"] = upstream_model
    if streaming:
        options = request.get("stream_options")
        request["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
    return encode(request)
