// OpenAI-shaped errors (the contract's `api-error` record, with camelCase fields).
//
// An export whose WIT result is `result<T, api-error>` fails by *throwing* such a
// record: componentize-js turns the thrown value into the `err` case. Anything else
// thrown (an `Error`, a bug) is a trap, which the gateway answers with 502
// `adapter_failure`.

/** @returns {object} an `api-error` record */
export function apiError(status, message, errorType, { param, code, retryAfter } = {}) {
  return { status, message, errorType, param, code, retryAfter };
}

/** A 400 about the client's request; `param` names the field at fault. */
export function badRequest(message, param) {
  return apiError(400, message, "invalid_request_error", { param });
}

/** A 502: the platform answered something this adapter cannot use. */
export function badGateway(message) {
  return apiError(502, message, "server_error");
}

const DEFAULT_TYPE = { 401: "authentication_error", 403: "permission_error", 404: "not_found_error", 429: "rate_limit_exceeded" };
const DEFAULT_CODE = { 401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded" };

function defaultType(status) {
  return DEFAULT_TYPE[status] ?? (status >= 400 && status < 500 ? "invalid_request_error" : "server_error");
}

/** A string or number as text; anything else as `undefined`. */
function text(value) {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** The start of a body for a message: whitespace folded, cut at 200 characters. */
export function snippet(bodyText) {
  const folded = bodyText.split(/\s+/).filter(Boolean).join(" ");
  if (folded === "") return "(empty body)";
  const chars = Array.from(folded);
  return chars.length > 200 ? chars.slice(0, 200).join("") + "…" : folded;
}

/** A non-2xx answer: the platform's status, its error object's fields, `retry-after`. */
export function fromUpstream(status, headers, bodyText) {
  let detail;
  try {
    detail = JSON.parse(bodyText)?.error;
  } catch {
    detail = undefined;
  }
  const retry = headers.find(([name]) => name === "retry-after")?.[1];
  const seconds = retry === undefined ? NaN : Number(retry.trim());
  const retryAfter = Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
  if (detail && typeof detail === "object" && typeof detail.message === "string" && detail.message !== "") {
    const type = text(detail.type);
    const code = text(detail.code) ?? (type ? undefined : DEFAULT_CODE[status]);
    return apiError(status, detail.message, type ?? defaultType(status), { param: text(detail.param), code, retryAfter });
  }
  return apiError(status, `upstream answered HTTP ${status}: ${snippet(bodyText)}`, defaultType(status), {
    code: DEFAULT_CODE[status],
    retryAfter,
  });
}

/** An `{"error": {...}}` event after the stream began: a 502 with the platform's words. */
export function fromStreamError(detail) {
  const message = typeof detail?.message === "string" && detail.message !== "" ? detail.message : "the upstream stream failed";
  return apiError(502, message, text(detail?.type) ?? "server_error", { code: text(detail?.code), param: text(detail?.param) });
}
