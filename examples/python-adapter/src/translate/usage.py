"""OpenAI `usage` JSON → the fields of the contract's `usage` record."""

from __future__ import annotations

MAX_U32 = 0xFFFFFFFF


def _count(n) -> int | None:
    if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0 or n != int(n):
        return None
    return min(int(n), MAX_U32)


def to_usage(usage) -> dict | None:
    """`{prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens}` for an
    OpenAI usage object (the last two `None` when not reported), or `None`."""
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    return {
        "prompt_tokens": _count(usage.get("prompt_tokens")) or 0,
        "completion_tokens": _count(usage.get("completion_tokens")) or 0,
        "cached_tokens": _count(prompt.get("cached_tokens")) if isinstance(prompt, dict) else None,
        "reasoning_tokens": _count(completion.get("reasoning_tokens")) if isinstance(completion, dict) else None,
    }
