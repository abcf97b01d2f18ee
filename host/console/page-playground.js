// Playground: pick a model, chat, and watch the answer stream token by token. Calls go
// to /ui/api/chat/completions, the chat API authenticated by this session (the admin
// key never reaches this script); they are logged under the client `console`.

import { get, stream } from "./api.js";
import { clear, errorText, field, h, heading, ms, num } from "./dom.js";

/** Reads an SSE body and calls `onEvent` with each `data:` payload. */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data) onEvent(data);
    }
  }
}

export async function render(view, { scope }) {
  const models = (await get("/admin/models")).data.filter((m) => m.servable).map((m) => m.name);
  view.append(heading("Playground"));
  if (!models.length) {
    view.append(h("p.panel", "No model can be served: configure one (and its API key) first."));
    return;
  }
  const model = h("select", { id: "pg-model" }, models.map((m) => h("option", { value: m }, m)));
  const system = h("textarea", { id: "pg-system", rows: 2, placeholder: "Optional instructions" });
  const prompt = h("textarea", { id: "pg-prompt", rows: 4, required: true, placeholder: "Say hello" });
  const send = h("button.primary", { type: "submit", id: "pg-send" }, "Send");
  const stop = h("button", { type: "button", id: "pg-stop", disabled: true }, "Stop");
  const reset = h("button.quiet", { type: "button" }, "New chat");
  const transcript = h("ol.transcript", { id: "pg-transcript", "aria-label": "Conversation" });
  const stats = h("p.muted", { id: "pg-stats", role: "status" });
  const form = h(
    "form.panel.playground",
    h("div.row", field("Model", model), field("System", system)),
    field("Message", prompt, "Ctrl+Enter sends"),
    h("div.actions", send, stop, reset),
  );
  view.append(form, transcript, stats);

  let history = [];
  let running = null;
  scope.addEventListener("abort", () => running?.abort());
  reset.addEventListener("click", () => {
    history = [];
    clear(transcript);
    stats.textContent = "";
  });
  stop.addEventListener("click", () => running?.abort());
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (!text) return;
    history.push({ role: "user", content: text });
    transcript.append(h("li.msg.msg-user", h("div.msg-head", h("strong", "user")), h("pre.msg-text", text)));
    prompt.value = "";
    const answer = h("pre.msg-text", { id: "pg-answer", "aria-busy": "true" });
    const item = h("li.msg.msg-assistant", h("div.msg-head", h("strong", "assistant"), h("span.muted", ` ${model.value}`)), answer);
    transcript.append(item);
    document.querySelectorAll("#pg-answer").forEach((el) => el !== answer && el.removeAttribute("id"));
    const messages = system.value.trim() ? [{ role: "system", content: system.value.trim() }, ...history] : [...history];
    running = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    stats.textContent = "Waiting for the first token…";
    const started = performance.now();
    let first = null;
    let usage = null;
    let chunks = 0;
    try {
      const response = await stream(
        "/ui/api/chat/completions",
        { model: model.value, messages, stream: true, stream_options: { include_usage: true } },
        running.signal,
      );
      await readEvents(response, (data) => {
        if (data === "[DONE]") return;
        const event = JSON.parse(data);
        if (event.error) throw new Error(event.error.message || "the stream failed");
        const delta = event.choices?.[0]?.delta?.content;
        if (delta) {
          if (first === null) first = performance.now() - started;
          chunks += 1;
          answer.append(delta);
          answer.dataset.chunks = String(chunks);
        }
        if (event.usage) usage = event.usage;
      });
      history.push({ role: "assistant", content: answer.textContent });
      const total = performance.now() - started;
      stats.textContent =
        `First token after ${ms(first ?? total)}, done after ${ms(total)}, ${num(chunks)} chunks` +
        (usage ? `, ${num(usage.prompt_tokens)} + ${num(usage.completion_tokens)} tokens.` : ".");
    } catch (error) {
      if (error.name === "AbortError") {
        stats.textContent = "Stopped.";
      } else {
        item.append(h("p.form-error", { role: "alert" }, errorText(error)));
        stats.textContent = "";
      }
      history.pop();
    } finally {
      answer.setAttribute("aria-busy", "false");
      send.disabled = false;
      stop.disabled = true;
      running = null;
    }
  });
  prompt.focus();
}
