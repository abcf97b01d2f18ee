"""The platform's SSE events → OpenAI chunks, for one stream. The gateway frames the
events and sends its own `data: [DONE]`, so the platform's is dropped. Chunks that lack
`id`, `object` or `created` get them (see stamp.py), the same for the whole stream, as
OpenAI's chunks have."""

from __future__ import annotations

import json

from .errors import ApiFailure, bad_gateway, from_stream_error, snippet
from .jsonio import dumps
from .stamp import defaults, filled
from .usage import to_usage


class Transformer:
    """The state of one stream (the exported `stream-transformer` resource)."""

    def __init__(self, include_usage: bool) -> None:
        self.include_usage = include_usage
        self.usage: dict | None = None
        self.pending_error: ApiFailure | None = None
        # Taken when the stream starts: every chunk of a stream has the same id and time.
        self.defaults = defaults("chat.completion.chunk")

    def push(self, events: list[str]) -> tuple[list[str], dict | None]:
        """`(chunks, usage)` for complete events' data; an error after other chunks
        waits for the next call."""
        if self.pending_error is not None:
            error, self.pending_error = self.pending_error, None
            raise error
        chunks: list[str] = []
        for data in events:
            try:
                chunk = self.event(data)
            except ApiFailure as error:
                if not chunks:
                    raise
                self.pending_error = error
                break
            if chunk is not None:
                chunks.append(chunk)
        return chunks, self.usage

    def finish(self) -> tuple[list[str], dict | None]:
        """The upstream ended: nothing is buffered, so this reports the final usage."""
        return self.push([])

    def event(self, data: str) -> str | None:
        """One event's data → the chunk to send, if any."""
        trimmed = data.strip()
        if trimmed in ("", "[DONE]"):
            return None
        try:
            chunk = json.loads(trimmed)
        except ValueError:
            chunk = None
        if not isinstance(chunk, dict):
            raise bad_gateway(f"upstream sent a stream event that is not a JSON object: {snippet(trimmed)}")
        if chunk.get("error") is not None:
            raise from_stream_error(chunk["error"])
        if isinstance(chunk.get("usage"), dict):
            self.usage = to_usage(chunk["usage"])
        changed = False
        if not self.include_usage and "usage" in chunk:
            # Usage was forced on upstream: hide it from a client that did not ask.
            choices = chunk.get("choices") if isinstance(chunk.get("choices"), list) else []
            if isinstance(chunk["usage"], dict) and not choices:
                return None
            del chunk["usage"]
            changed = True
        complete = filled(chunk, self.defaults)
        if complete is not None:
            return dumps(complete)
        return dumps(chunk) if changed else trimmed
