// Calls to the gateway: the admin API (/admin/...) and the console's own routes
// (/ui/api/...). The session cookie is HttpOnly: this script never sees it. The CSRF
// token lives in this module's memory only (never in storage or a URL) and goes with
// every request that changes something.

let csrfToken = null;

/** An answer the gateway refused, with its OpenAI-shaped error. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || null;
    this.param = error?.param || null;
  }
}

/** Codes that mean the session is gone: the page goes back to sign-in. */
const SESSION_GONE = new Set(["session_expired", "session_ended", "session_invalid", "missing_api_key"]);

export function sessionGone(error) {
  return error instanceof ApiError && error.status === 401 && SESSION_GONE.has(error.code);
}

function headers(method, extra) {
  const result = { accept: "application/json", ...extra };
  if (method !== "GET" && csrfToken) result["x-csrf-token"] = csrfToken;
  return result;
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = new ApiError(response.status, body?.error);
  if (sessionGone(error)) window.dispatchEvent(new CustomEvent("session-gone", { detail: error }));
  return error;
}

/** A JSON call; rejects with ApiError. */
export async function call(method, path, body) {
  const init = { method, headers: headers(method, {}), credentials: "same-origin" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

export const get = (path, query) => call("GET", withQuery(path, query));

/** `path?key=value...`, leaving out empty values. */
export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Uploads raw bytes (a .wasm) with PUT. */
export async function upload(path, bytes) {
  const response = await fetch(path, {
    method: "PUT",
    credentials: "same-origin",
    headers: headers("PUT", { "content-type": "application/wasm" }),
    body: bytes,
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** A streaming POST: resolves to the Response for the caller to read. */
export async function stream(path, body, signal) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: headers("POST", { "content-type": "application/json", accept: "text/event-stream" }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await failure(response);
  return response;
}

/** The current session (its CSRF token kept here), or null when signed out. */
export async function currentSession() {
  try {
    const session = await call("GET", "/ui/api/session");
    csrfToken = session.csrf_token;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function signIn(adminKey) {
  const session = await call("POST", "/ui/api/session", { admin_key: adminKey });
  csrfToken = session.csrf_token;
  return session;
}

export async function signOut() {
  try {
    await call("DELETE", "/ui/api/session");
  } finally {
    csrfToken = null;
  }
}
