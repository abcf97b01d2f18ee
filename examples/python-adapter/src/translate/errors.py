"""OpenAI-shaped errors: `ApiFailure` carries the fields of the contract's `api-error`
record; `adapter.py` turns it into the `err` of the call's result. Any other exception
is a trap, which the gateway answers with 502 `adapter_failure`."""

from __future__ import annotations

import json
import math


class ApiFailure(Exception):
    """An `api-error`: the status the client gets, OpenAI's message, type, param, code,
    and the seconds to wait before retrying."""

    def __init__(
        self,
        status: int,
        message: str,
        error_type: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.param = param
        self.code = code
        self.retry_after = retry_after


def bad_request(message: str, param: str | None = None) -> ApiFailure:
    """A 400 about the client's request; `param` names the field at fault."""
    return ApiFailure(400, message, "invalid_request_error", param=param)


def bad_gateway(message: str) -> ApiFailure:
    """A 502: the platform answered something this adapter cannot use."""
    return ApiFailure(502, message, "server_error")


DEFAULT_TYPE = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 429: "rate_limit_exceeded"}
DEFAULT_CODE = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}


def default_type(status: int) -> str:
    return DEFAULT_TYPE.get(status) or ("invalid_request_error" if 400 <= status < 500 else "server_error")


def text(value) -> str | None:
    """A string or number as text; anything else as `None`."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def snippet(body_text: str) -> str:
    """The start of a body for a message: whitespace folded, cut at 200 characters."""
    folded = " ".join(body_text.split())
    if not folded:
        return "(empty body)"
    return folded[:200] + "…" if len(folded) > 200 else folded


def retry_after(headers: list[tuple[str, str]]) -> int | None:
    """`retry-after` in whole seconds (rounded up); dates and junk are ignored."""
    value = next((v for name, v in headers if name == "retry-after"), None)
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return math.ceil(seconds) if math.isfinite(seconds) and seconds >= 0 else None


def from_upstream(status: int, headers: list[tuple[str, str]], body_text: str) -> ApiFailure:
    """A non-2xx answer: the platform's status, its error object's fields, `retry-after`."""
    try:
        detail = json.loads(body_text).get("error")
    except (ValueError, AttributeError):
        detail = None
    wait = retry_after(headers)
    if isinstance(detail, dict) and isinstance(detail.get("message"), str) and detail["message"]:
        kind = text(detail.get("type"))
        code = text(detail.get("code")) or (None if kind else DEFAULT_CODE.get(status))
        return ApiFailure(
            status, detail["message"], kind or default_type(status),
            param=text(detail.get("param")), code=code, retry_after=wait,
        )
    return ApiFailure(
        status, f"upstream answered HTTP {status}: {snippet(body_text)}", default_type(status),
        code=DEFAULT_CODE.get(status), retry_after=wait,
    )


def from_stream_error(detail) -> ApiFailure:
    """An `{"error": {...}}` event after the stream began: a 502 with the platform's words."""
    detail = detail if isinstance(detail, dict) else {}
    message = detail.get("message")
    if not isinstance(message, str) or not message:
        message = "the upstream stream failed"
    return ApiFailure(
        502, message, text(detail.get("type")) or "server_error",
        code=text(detail.get("code")), param=text(detail.get("param")),
    )
