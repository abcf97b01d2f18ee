// OpenAI request body → the OpenAI-compatible platform's request.
//
// The body passes through untouched except `model` (the configured upstream model)
// and, on streams, `stream_options.include_usage`, forced on so the gateway can count
// tokens (the stream transformer hides the usage chunk again from clients that did
// not ask for it).

import { badRequest } from "./errors.js";

/** The platform's chat path, relative to a base URL ending in `/v1`. */
export const CHAT_PATH = "/chat/completions";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `transform-request`: returns an `upstream-request` record or throws an `api-error`. */
export function fromOpenAi(ctx, body) {
  let request;
  try {
    request = JSON.parse(decoder.decode(body));
  } catch (e) {
    throw badRequest(`the request body is not JSON: ${e.message}`);
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    throw badRequest("the request body must be a JSON object");
  }
  request.model = ctx.upstreamModel;
  if (ctx.streaming) {
    const options = request.stream_options;
    request.stream_options = { ...(options && typeof options === "object" ? options : {}), include_usage: true };
  }
  return {
    method: "post",
    pathAndQuery: CHAT_PATH,
    headers: [],
    body: encoder.encode(JSON.stringify(request)),
    responseFraming: ctx.streaming ? "sse" : undefined,
    credential: undefined,
  };
}
