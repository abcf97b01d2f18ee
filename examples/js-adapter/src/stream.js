// The platform's SSE events → OpenAI chunks, for one stream. The gateway frames the
// events and sends its own `data: [DONE]`, so the platform's is dropped. Chunks that
// lack `id`, `object` or `created` get them (see stamp.js), the same for the whole
// stream, as OpenAI's chunks have.

import { badGateway, fromStreamError, snippet } from "./errors.js";
import { defaults, filled } from "./stamp.js";
import { toUsage } from "./usage.js";

/** The state of one stream (the exported `stream-transformer` resource). */
export class Transformer {
  constructor(ctx) {
    this.includeUsage = ctx.includeUsage;
    this.usage = undefined;
    this.pendingError = undefined;
    // Taken when the stream starts: every chunk of a stream has the same id and time.
    this.defaults = defaults("chat.completion.chunk");
  }

  /** Translates complete events; an error after other chunks waits for the next call. */
  push(events) {
    if (this.pendingError) {
      const error = this.pendingError;
      this.pendingError = undefined;
      throw error;
    }
    const chunks = [];
    for (const event of events) {
      try {
        const chunk = this.event(event.data);
        if (chunk !== undefined) chunks.push(chunk);
      } catch (error) {
        if (chunks.length === 0) throw error;
        this.pendingError = error;
        break;
      }
    }
    return { chunks, usage: this.usage };
  }

  /** The upstream ended: nothing is buffered, so this reports the final usage. */
  finish() {
    return this.push([]);
  }

  /** One event's data → the chunk to send, if any. */
  event(data) {
    const trimmed = data.trim();
    if (trimmed === "" || trimmed === "[DONE]") return undefined;
    let chunk;
    try {
      chunk = JSON.parse(trimmed);
    } catch {
      chunk = undefined;
    }
    if (chunk === null || typeof chunk !== "object" || Array.isArray(chunk)) {
      throw badGateway(`upstream sent a stream event that is not a JSON object: ${snippet(trimmed)}`);
    }
    if (chunk.error) throw fromStreamError(chunk.error);
    if (chunk.usage) this.usage = toUsage(chunk.usage);
    let changed = false;
    if (!this.includeUsage && "usage" in chunk) {
      // Usage was forced on upstream: hide it from a client that did not ask.
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      if (chunk.usage && choices.length === 0) return undefined;
      delete chunk.usage;
      changed = true;
    }
    const complete = filled(chunk, this.defaults);
    if (complete !== undefined) return JSON.stringify(complete);
    return changed ? JSON.stringify(chunk) : trimmed;
  }
}
