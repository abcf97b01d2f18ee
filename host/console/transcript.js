// Messages shown as a transcript: role, text (or the JSON of parts the console does
// not render), tool calls. Text is always set as text, never parsed as markup.

import { h, when } from "./dom.js";

function textOf(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === "string" ? part : part?.text ?? part?.output_text ?? JSON.stringify(part)))
      .join("\n");
  }
  if (content === null || content === undefined) return "";
  return JSON.stringify(content, null, 2);
}

/** One message (chat-shaped, or a Responses item). */
export function messageView(message, model, createdAt) {
  const role = message?.role || message?.type || "item";
  const text = textOf(message?.content ?? message?.output ?? message?.text ?? (message?.type ? message : ""));
  const calls = message?.tool_calls || [];
  return h(
    `li.msg.msg-${role}`,
    h("div.msg-head", h("strong", role), model ? h("span.muted", ` ${model}`) : null, createdAt ? h("span.muted", ` · ${when(createdAt)}`) : null),
    text ? h("pre.msg-text", text) : null,
    calls.map((c) => h("pre.msg-tool", `→ ${c.function?.name || "tool"}(${c.function?.arguments || ""})`)),
  );
}
