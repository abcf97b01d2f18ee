// Components: every adapter and dialect with its version, source, contract, compiler
// tier, last error and reload history; upload a .wasm to swap one in.

import { get, upload } from "./api.js";
import { badge, clear, errorText, field, h, heading, notice, table, when } from "./dom.js";

function health(c) {
  if (c.last_error && c.version) return badge("warn", "serving; last load failed");
  if (c.last_error) return badge("bad", "not loaded");
  return badge("ok", "serving");
}

function history(events) {
  if (!events.length) return h("span.muted", "no events");
  return h(
    "ol.history",
    events.map((e) =>
      h(
        "li",
        h("time", when(e.at_ms, true)),
        " ",
        badge(e.outcome === "rejected" ? "bad" : e.outcome === "removed" ? "off" : "ok", e.outcome),
        e.version ? ` ${e.version}` : "",
        ` (${e.source})`,
        e.error ? h("div.error-text", e.error) : null,
      ),
    ),
  );
}

export async function render(view, { scope }) {
  const list = h("div", { id: "component-list" });
  const file = h("input", { type: "file", id: "upload-file", accept: ".wasm,application/wasm", required: true });
  const name = h("input", { id: "upload-name", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,63}", placeholder: "openai" });
  const result = h("p", { id: "upload-result", role: "status" });
  const submit = h("button.primary", { type: "submit" }, "Upload and swap");
  const form = h(
    "form.panel.upload",
    h("h2", "Swap a component"),
    h("p.muted", "The file is checked as the plugin folder's watcher checks it (contract version, declared name); a refused file changes nothing. The new version serves the next request; requests in flight finish on the old one."),
    h("div.row", field("Component name", name, "the file becomes <name>.wasm"), field(".wasm file", file)),
    submit,
    result,
  );
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    if (chosen && !name.value) name.value = chosen.name.replace(/\.wasm$/, "").replace(/^plugin_/, "");
  });
  view.append(heading("Components"), list, form);

  async function load() {
    const data = await get("/admin/plugins");
    if (scope.aborted) return;
    clear(list).append(
      h("p.muted", `Plugin folder: `, h("code", data.dir), data.hot_reload ? " (watched: changes swap in without a restart)" : " (hot reload is off)", `. Contracts this gateway runs: ${data.contracts}.`),
      table(
        [
          { label: "Name", cell: (c) => h("strong", c.name) },
          { label: "Kind", cell: (c) => c.kind },
          { label: "Status", cell: health },
          { label: "Version", cell: (c) => h("span", { "data-component-version": c.name }, c.version || "–") },
          { label: "Source", cell: (c) => (c.path ? h("span", c.source, h("br"), h("small.mono", c.path)) : c.source || "–") },
          { label: "Contract", cell: (c) => c.contract || "–" },
          { label: "Code", cell: (c) => c.tier || "–" },
          { label: "Last error", cell: (c) => (c.last_error ? h("span.error-text", c.last_error) : "none") },
          { label: "History", cell: (c) => h("details", h("summary", c.history.length === 1 ? "1 event" : `${c.history.length} events`), history(c.history)) },
        ],
        data.data,
        { id: "components-table" },
      ),
    );
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    submit.disabled = true;
    result.textContent = "Checking and swapping…";
    try {
      const swapped = await upload(`/admin/plugins/${encodeURIComponent(name.value.trim())}`, await chosen.arrayBuffer());
      result.textContent = swapped.serving
        ? `${swapped.name} ${swapped.version} is serving (was ${swapped.previous_version || "not loaded"}).`
        : `${swapped.name} ${swapped.version} was written; it is not serving yet.`;
      notice(result.textContent);
      await load();
    } catch (error) {
      result.textContent = errorText(error);
    } finally {
      submit.disabled = false;
    }
  });
  await load().catch((error) => notice(errorText(error), "error"));
}
