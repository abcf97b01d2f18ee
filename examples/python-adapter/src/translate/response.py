"""The platform's whole answer → the client's: a 2xx body passes through as it came
(read once for `usage`), unless it lacks `id`, `object` or `created`, which are then
filled in (see stamp.py); anything else becomes an OpenAI-shaped error."""

from __future__ import annotations

import json

from .errors import bad_gateway, from_upstream, snippet
from .jsonio import encode
from .stamp import defaults, filled
from .usage import to_usage


def to_openai(status: int, headers: list[tuple[str, str]], body: bytes) -> tuple[bytes, dict | None]:
    """`(body, usage)` for the client; raises `ApiFailure` for an error answer."""
    text = body.decode("utf-8", "replace")
    if not 200 <= status <= 299:
        raise from_upstream(status, headers, text)
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise bad_gateway(f"upstream answered HTTP {status} with a body that is not a JSON object: {snippet(text)}")
    complete = filled(answer, defaults("chat.completion"))
    return (body if complete is None else encode(complete)), to_usage(answer.get("usage"))
