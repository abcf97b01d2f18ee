// The translation as plain functions, under node's test runner: the same code the
// component runs, without building it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { adapter, NAME } from "../src/adapter.js";
import { fromOpenAi } from "../src/request.js";
import { toOpenAi } from "../src/response.js";
import { Transformer } from "../src/stream.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ctx = (streaming = false, includeUsage = false) => ({
  endpoint: "chat-completions",
  publicModel: "my-model",
  upstreamModel: "upstream-model",
  streaming,
  includeUsage,
  clientId: "test",
  options: [],
});
const bytes = (value) => enc.encode(JSON.stringify(value));

test("the name matches package.json, which names the built file", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url)));
  assert.equal(NAME, pkg.name);
  assert.equal(adapter.info().name, NAME);
  assert.deepEqual(adapter.info().credential, { tag: "bearer" });
});

test("a request passes through with the upstream model", () => {
  const out = fromOpenAi(ctx(), bytes({ model: "my-model", messages: [{ role: "user", content: "Hi" }], tools: [] }));
  assert.equal(out.method, "post");
  assert.equal(out.pathAndQuery, "/chat/completions");
  assert.equal(out.responseFraming, undefined);
  assert.deepEqual(JSON.parse(dec.decode(out.body)), {
    model: "upstream-model",
    messages: [{ role: "user", content: "Hi" }],
    tools: [],
  });
});

test("a streamed request forces include_usage and asks for SSE", () => {
  const out = fromOpenAi(ctx(true), bytes({ model: "m", stream: true, stream_options: { x: 1 }, messages: [] }));
  assert.equal(out.responseFraming, "sse");
  assert.deepEqual(JSON.parse(dec.decode(out.body)).stream_options, { x: 1, include_usage: true });
});

test("a body that is not a JSON object is a 400 api-error", () => {
  for (const body of [enc.encode("{"), bytes([1])]) {
    assert.throws(() => fromOpenAi(ctx(), body), (e) => e.status === 400 && e.errorType === "invalid_request_error");
  }
});

test("a 2xx answer passes through byte for byte with its usage", () => {
  const body = bytes({ id: "x", choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 2 } } });
  const out = toOpenAi({ status: 200, headers: [], body });
  assert.equal(out.body, body);
  assert.deepEqual(out.usage, { promptTokens: 5, completionTokens: 7, cachedTokens: 2, reasoningTokens: undefined });
});

test("errors keep status, type, code and retry-after", () => {
  const body = bytes({ error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" } });
  assert.throws(
    () => toOpenAi({ status: 429, headers: [["retry-after", "7"]], body }),
    (e) => e.status === 429 && e.message === "slow down" && e.errorType === "requests" && e.code === "rate_limit_exceeded" && e.retryAfter === 7,
  );
  assert.throws(
    () => toOpenAi({ status: 404, headers: [], body: enc.encode("<html>no</html>") }),
    (e) => e.status === 404 && e.code === "model_not_found" && e.message === "upstream answered HTTP 404: <html>no</html>",
  );
  assert.throws(() => toOpenAi({ status: 200, headers: [], body: enc.encode("nope") }), (e) => e.status === 502);
});

const events = (...data) => data.map((d) => ({ event: undefined, data: typeof d === "string" ? d : JSON.stringify(d) }));
const text = { id: "c", choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }], usage: null };
const usage = { id: "c", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };

test("streams hide forced usage from clients that did not ask", () => {
  const stream = new Transformer(ctx(true, false));
  const out = stream.push(events(text, usage, "[DONE]"));
  assert.equal(out.chunks.length, 1);
  assert.deepEqual(JSON.parse(out.chunks[0]), { id: "c", choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] });
  assert.equal(out.usage.promptTokens, 3, "usage is still accounted");
  assert.deepEqual(stream.finish().chunks, []);
});

test("streams pass usage to clients that asked", () => {
  const stream = new Transformer(ctx(true, true));
  const out = stream.push(events(text, usage));
  assert.equal(out.chunks.length, 2);
  assert.deepEqual(JSON.parse(out.chunks[1]), usage);
});

test("a stream error after chunks comes with the next call", () => {
  const stream = new Transformer(ctx(true, false));
  const out = stream.push(events(text, { error: { message: "overloaded", type: "server_error" } }));
  assert.equal(out.chunks.length, 1);
  assert.throws(() => stream.finish(), (e) => e.status === 502 && e.message === "overloaded");
  assert.throws(() => new Transformer(ctx(true)).push(events("garbage")), (e) => e.status === 502);
});
