// The platform's whole answer → the client's: a 2xx body passes through as it came
// (read once for `usage`), unless it lacks `id`, `object` or `created`, which are then
// filled in (see stamp.js); anything else becomes an OpenAI-shaped error.

import { badGateway, fromUpstream, snippet } from "./errors.js";
import { defaults, filled } from "./stamp.js";
import { toUsage } from "./usage.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `transform-response`: returns a `translated-response` record or throws an `api-error`. */
export function toOpenAi(response) {
  const text = decoder.decode(response.body);
  if (response.status < 200 || response.status > 299) {
    throw fromUpstream(response.status, response.headers, text);
  }
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
    throw badGateway(`upstream answered HTTP ${response.status} with a body that is not a JSON object: ${snippet(text)}`);
  }
  const complete = filled(answer, defaults("chat.completion"));
  const body = complete === undefined ? response.body : encoder.encode(JSON.stringify(complete));
  return { body, usage: toUsage(answer.usage) };
}
