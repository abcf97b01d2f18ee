// A Switchyard adapter in JavaScript, componentized with componentize-js against the
// `adapter-world` of `wit/` (the `switchyard:adapter@0.1.0` contract).
//
// The world exports the interface `adapter`, so this module exports an object of that
// name: `info`, `transformRequest`, `transformResponse` (WIT names in camelCase) and
// the resource `StreamTransformer` as a class. Records are plain objects with
// camelCase fields, enums are strings (`"post"`, `"sse"`), variants `{ tag, val }`,
// `option<T>` is the value or `undefined`, and `list<u8>` a `Uint8Array`.
//
// The translation lives in the other modules, which are plain functions tested with
// `node --test` (see `test/`).

import { NAME, VERSION } from "./package.js";
import { fromOpenAi } from "./request.js";
import { toOpenAi } from "./response.js";
import { Transformer } from "./stream.js";

// The name and version are package.json's: src/package.js is generated from it (by
// package-module.mjs, which build.sh and `npm test` run), so a rename is one edit.
export { NAME, VERSION };

export const adapter = {
  info() {
    return {
      name: NAME,
      version: VERSION,
      description: "OpenAI-compatible chat, written in JavaScript",
      endpoints: ["chat-completions"],
      credential: { tag: "bearer" },
      defaultBaseUrl: "http://localhost:8000/v1",
    };
  },
  transformRequest(ctx, body) {
    return fromOpenAi(ctx, body);
  },
  transformResponse(_ctx, response) {
    return toOpenAi(response);
  },
  StreamTransformer: class {
    constructor(ctx, _status, _headers) {
      this.state = new Transformer(ctx);
    }
    push(events) {
      return this.state.push(events);
    }
    finish() {
      return this.state.finish();
    }
  },
};
