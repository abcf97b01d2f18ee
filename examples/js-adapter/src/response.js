// The platform's whole answer → the client's: a 2xx body passes through as it came
// (read once for `usage`); anything else becomes an OpenAI-shaped error.

import { badGateway, fromUpstream, snippet } from "./errors.js";
import { toUsage } from "./usage.js";

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
  return { body: response.body, usage: toUsage(answer.usage) };
}
