// OpenAI `usage` JSON → the contract's `usage` record.

/** The `usage` record for an OpenAI usage object, or `undefined`. */
export function toUsage(usage) {
  if (!usage || typeof usage !== "object") return undefined;
  const count = (n) => (Number.isInteger(n) && n >= 0 ? Math.min(n, 0xffffffff) : 0);
  const optional = (n) => (Number.isInteger(n) && n >= 0 ? Math.min(n, 0xffffffff) : undefined);
  return {
    promptTokens: count(usage.prompt_tokens),
    completionTokens: count(usage.completion_tokens),
    cachedTokens: optional(usage.prompt_tokens_details?.cached_tokens),
    reasoningTokens: optional(usage.completion_tokens_details?.reasoning_tokens),
  };
}
