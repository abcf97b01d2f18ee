// What an answer needs and some OpenAI-compatible servers leave out: `id`, `object` and
// `created`. The adapter fills in the missing ones, from the clock and randomness of the
// moment of the call.
//
// Both are live only because build.sh keeps StarlingMonkey's `clocks` and `random`
// features. With them disabled, the component runs on the snapshot taken at build time:
// `Date.now()` answers the build's time forever (every answer would be `created` then),
// and `Math.random()` replays the snapshot's sequence in every new instance (the first
// id of each instance would be the same).

/** Unix time now, in whole seconds. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** A new completion id, `chatcmpl-` + the time + 12 random characters. */
export function newId() {
  let random = "";
  for (let i = 0; i < 12; i++) random += Math.floor(Math.random() * 36).toString(36);
  return `chatcmpl-${Date.now().toString(36)}${random}`;
}

/** The fields to fill in for one answer (or one stream: every chunk shares them). */
export function defaults(object) {
  return { id: newId(), object, created: nowSeconds() };
}

/**
 * `answer` with the fields of `fields` it lacks (absent or `null`) filled in, those
 * first; `undefined` when it lacks none (the caller then keeps the platform's bytes).
 */
export function filled(answer, fields) {
  const missing = (key) => answer[key] === undefined || answer[key] === null;
  if (!Object.keys(fields).some(missing)) return undefined;
  const out = {};
  for (const [key, value] of Object.entries(fields)) out[key] = missing(key) ? value : answer[key];
  for (const [key, value] of Object.entries(answer)) if (!(key in fields)) out[key] = value;
  return out;
}
