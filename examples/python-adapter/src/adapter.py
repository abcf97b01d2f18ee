"""A Switchyard adapter in Python, componentized with componentize-py against the
`adapter-world` of `wit/` (the `switchyard:adapter@0.2.0` contract).

componentize-py takes the implementation of the exported interface `adapter` from this
module (`componentize adapter`): the class `Adapter` (`info`, `transform_request`,
`transform_response`: WIT names in snake_case) and the resource `stream-transformer`
as the class `StreamTransformer`. Records are the dataclasses of
`wit_world.imports.types` (generated at build time), enums are `Enum`s, variants one
dataclass per case, `option<T>` the value or `None`, `list<u8>` `bytes`. The `err` of a
`result` is raised as `componentize_py_types.Err(ApiError(...))`; any other exception
is a trap (502 `adapter_failure`).

The translation lives in `translate/`, plain functions tested natively with
`python3 -m unittest` (see `tests/`); this module only converts records.

Module-level code runs once, at build time: the component is a snapshot taken after
this import. Keep per-call values (time, ids) inside the calls."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import adapter as adapter_exports
from wit_world.imports import types

from meta import NAME, VERSION
from translate.errors import ApiFailure
from translate.request import CHAT_PATH, from_openai
from translate.response import to_openai
from translate.stream import Transformer


def _api_error(failure: ApiFailure) -> Err:
    return Err(
        types.ApiError(
            status=failure.status,
            message=failure.message,
            error_type=failure.error_type,
            param=failure.param,
            code=failure.code,
            retry_after=failure.retry_after,
        )
    )


def _usage(usage: dict | None) -> types.Usage | None:
    return None if usage is None else types.Usage(**usage)


class Adapter(exports.Adapter):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            name=NAME,
            version=VERSION,
            description="OpenAI-compatible chat, written in Python",
            endpoints=[types.Endpoint.CHAT_COMPLETIONS],
            credential=types.CredentialPlacement_Bearer(),
            default_base_url="http://localhost:8000/v1",
        )

    def transform_request(self, ctx: types.CallContext, body: bytes) -> types.UpstreamRequest:
        try:
            upstream = from_openai(body, ctx.upstream_model, ctx.streaming)
        except ApiFailure as failure:
            raise _api_error(failure) from None
        return types.UpstreamRequest(
            method=types.Method.POST,
            path_and_query=CHAT_PATH,
            headers=[],
            body=upstream,
            response_framing=types.StreamFraming.SSE if ctx.streaming else None,
            credential=None,
        )

    def transform_response(self, ctx: types.CallContext, response: types.UpstreamResponse) -> types.TranslatedResponse:
        try:
            body, usage = to_openai(response.status, response.headers, response.body)
        except ApiFailure as failure:
            raise _api_error(failure) from None
        return types.TranslatedResponse(body=body, usage=_usage(usage))


class StreamTransformer(adapter_exports.StreamTransformer):
    def __init__(self, ctx: types.CallContext, status: int, headers: list[tuple[str, str]]) -> None:
        self.state = Transformer(ctx.include_usage)

    def _output(self, result: tuple[list[str], dict | None]) -> types.StreamOutput:
        chunks, usage = result
        return types.StreamOutput(chunks=chunks, usage=_usage(usage))

    def push(self, events: list[types.StreamEvent]) -> types.StreamOutput:
        try:
            return self._output(self.state.push([event.data for event in events]))
        except ApiFailure as failure:
            raise _api_error(failure) from None

    def finish(self) -> types.StreamOutput:
        try:
            return self._output(self.state.finish())
        except ApiFailure as failure:
            raise _api_error(failure) from None
