// The translation as plain functions, under node's test runner: the same code the
// component runs, without building it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { adapter, NAME } from "../src/adapter.js";
import { fromOpenAi } from "../src/request.js";
import { toOpenAi } from "../src/response.js";
import { newId } from "../src/stamp.js";
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

test("the name and version are package.json's, which names the built file", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url)));
  assert.equal(NAME, pkg.name);
  assert.equal(adapter.info().name, pkg.name);
  assert.equal(adapter.info().version, pkg.version);
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
  const usage = { prompt_tokens: 5, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 2 } };
  const body = bytes({ id: "x", object: "chat.completion", created: 1700000000, choices: [], usage });
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
const chunk = { id: "c", object: "chat.completion.chunk", created: 1700000000 };
const text = { ...chunk, choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }], usage: null };
const usage = { ...chunk, choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };

test("streams hide forced usage from clients that did not ask", () => {
  const stream = new Transformer(ctx(true, false));
  const out = stream.push(events(text, usage, "[DONE]"));
  assert.equal(out.chunks.length, 1);
  assert.deepEqual(JSON.parse(out.chunks[0]), { ...chunk, choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] });
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

// What the platform left out is filled in from the clock at the time of the call: in
// the component that holds only while build.sh keeps StarlingMonkey's `clocks` and
// `random` (tests/e2e/test_examples.py checks the built file through the gateway).
const bare = { choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }] };

test("a completion without id, object or created gets them, created from the clock", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
  const first = JSON.parse(dec.decode(toOpenAi({ status: 200, headers: [], body: bytes(bare) }).body));
  assert.deepEqual(Object.keys(first), ["id", "object", "created", "choices"], "the filled fields come first");
  assert.equal(first.object, "chat.completion");
  assert.equal(first.created, 1_700_000_000);
  assert.match(first.id, /^chatcmpl-[0-9a-z]{20,}$/);

  t.mock.timers.tick(61_500);
  const second = JSON.parse(dec.decode(toOpenAi({ status: 200, headers: [], body: bytes({ ...bare, id: null }) }).body));
  assert.equal(second.created, 1_700_000_061, "created moves with the clock: not frozen at load");
  assert.notEqual(second.id, first.id, "every call gets its own id");

  const kept = JSON.parse(dec.decode(toOpenAi({ status: 200, headers: [], body: bytes({ ...bare, created: 5 }) }).body));
  assert.equal(kept.created, 5, "the platform's own created is kept");
});

test("a stream's chunks without id or created share the ones of the stream's start", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
  const delta = (content) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  const stream = new Transformer(ctx(true, false));
  t.mock.timers.tick(3_000);
  const chunks = stream.push(events(delta("a"), delta("b"))).chunks.map((c) => JSON.parse(c));
  assert.equal(chunks.length, 2);
  for (const c of chunks) {
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(c.created, 1_700_000_000, "the time the stream started");
    assert.equal(c.id, chunks[0].id, "one id per stream");
  }

  t.mock.timers.tick(2_000);
  const next = JSON.parse(new Transformer(ctx(true, false)).push(events(delta("c"))).chunks[0]);
  assert.equal(next.created, 1_700_000_005);
  assert.notEqual(next.id, chunks[0].id);
});

test("ids differ call after call at the same millisecond", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
  const ids = new Set(Array.from({ length: 100 }, newId));
  assert.equal(ids.size, 100);
});
