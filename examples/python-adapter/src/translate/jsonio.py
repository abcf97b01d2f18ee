"""JSON in and out, as the platform and the client expect it: UTF-8, compact."""

from __future__ import annotations

import json


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode(value) -> bytes:
    return dumps(value).encode()
