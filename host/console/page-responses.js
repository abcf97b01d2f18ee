// Stored Responses (the Responses API's `store: true`): listed newest first, one read
// with its input items and output (/admin/responses).

import { get } from "./api.js";
import { clear, field, h, heading, table, when } from "./dom.js";
import { messageView } from "./transcript.js";

const PAGE = 25;

export async function render(view, { scope, params }) {
  const client = h("input", { id: "resp-client", placeholder: "key_… or anonymous", value: params.get("client_id") || "" });
  const list = h("div", { id: "resp-list" });
  const reader = h("div", { id: "resp-reader" });
  const pager = h("div.pager");
  const form = h("form.filters", { role: "search" }, field("Client", client), h("div.field.submit", h("button.primary", { type: "submit" }, "Show")));
  view.append(heading("Stored responses"), form, list, pager, reader);

  async function open(r) {
    const full = await get(`/admin/responses/${encodeURIComponent(r.client_id)}/${encodeURIComponent(r.id)}`);
    if (scope.aborted) return;
    const input = Array.isArray(full.input) ? full.input : [];
    const output = Array.isArray(full.response?.output) ? full.response.output : [];
    clear(reader).append(
      h(
        "section.panel",
        { "aria-label": `Response ${full.id}` },
        h("h2", `Response ${full.id}`),
        h("p.muted", `${full.client_id} · ${full.model} · ${when(full.created_at)}`, full.previous_id ? ` · continues ${full.previous_id}` : ""),
        h("h3", "Input"),
        h("ol.transcript", input.map((item) => messageView(item))),
        h("h3", "Output"),
        h("ol.transcript", output.map((item) => messageView(item))),
        h("details", h("summary", "The Response as the client received it"), h("pre.json", JSON.stringify(full.response, null, 2))),
      ),
    );
    reader.querySelector("h2").scrollIntoView({ block: "start" });
  }

  let cursors = [null];
  async function load(page) {
    const result = await get("/admin/responses", { client_id: client.value.trim(), limit: PAGE, after: cursors[page] });
    if (scope.aborted) return;
    cursors = cursors.slice(0, page + 1);
    if (result.has_more) cursors.push(result.last_id);
    clear(list).append(
      table(
        [
          {
            label: "Response",
            cell: (r) => {
              const button = h("button.link", { type: "button" }, r.id);
              button.addEventListener("click", () => open(r));
              return button;
            },
          },
          { label: "Client", cell: (r) => h("span.mono", r.client_id) },
          { label: "Model", cell: (r) => r.model },
          { label: "Continues", cell: (r) => r.previous_id || "–" },
          { label: "Created", cell: (r) => when(r.created_at) },
        ],
        result.data,
        { empty: "No stored responses (Responses API calls with store: true keep them)." },
      ),
    );
    clear(pager);
    const newer = h("button", { type: "button", disabled: page === 0 }, "← Newer");
    const older = h("button", { type: "button", disabled: !result.has_more }, "Older →");
    newer.addEventListener("click", () => load(page - 1));
    older.addEventListener("click", () => load(page + 1));
    pager.append(newer, h("span.muted", `Page ${page + 1}`), older);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cursors = [null];
    load(0);
  });
  await load(0);
}
