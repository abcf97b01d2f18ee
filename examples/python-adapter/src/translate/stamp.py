"""What an answer needs and some OpenAI-compatible servers leave out: `id`, `object`
and `created`. The missing ones are filled in from the clock and randomness of the
moment of the call.

The component is a snapshot taken after the modules were imported at build time, so
nothing here is computed at import: `time.time()` (the host's `wasi:clocks`) and
`secrets` (its `wasi:random`) are read on every call."""

from __future__ import annotations

import secrets
import string
import time

_ALPHABET = string.digits + string.ascii_lowercase


def now_seconds() -> int:
    """Unix time now, in whole seconds."""
    return int(time.time())


def _base36(n: int) -> str:
    out = ""
    while True:
        n, digit = divmod(n, 36)
        out = _ALPHABET[digit] + out
        if n == 0:
            return out


def new_id() -> str:
    """A new completion id, `chatcmpl-` + the time + 12 random characters."""
    random = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"chatcmpl-{_base36(int(time.time() * 1000))}{random}"


def defaults(object_type: str) -> dict:
    """The fields to fill in for one answer (or one stream: every chunk shares them)."""
    return {"id": new_id(), "object": object_type, "created": now_seconds()}


def filled(answer: dict, fields: dict) -> dict | None:
    """`answer` with the fields of `fields` it lacks (absent or `null`) filled in, those
    first; `None` when it lacks none (the caller then keeps the platform's bytes)."""
    if all(answer.get(key) is not None for key in fields):
        return None
    out = {key: value if answer.get(key) is None else answer[key] for key, value in fields.items()}
    out.update((key, value) for key, value in answer.items() if key not in fields)
    return out
