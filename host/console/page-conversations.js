// Conversations: every client's stored conversations, newest first, and one read in
// full (/admin/conversations).

import { get } from "./api.js";
import { clear, field, h, heading, num, table, when } from "./dom.js";
import { messageView } from "./transcript.js";

const PAGE = 25;

export async function render(view, { scope, params }) {
  const client = h("input", { id: "conv-client", placeholder: "key_… or anonymous", value: params.get("client_id") || "" });
  const list = h("div", { id: "conv-list" });
  const reader = h("div", { id: "conv-reader" });
  const pager = h("div.pager");
  const form = h("form.filters", { role: "search" }, field("Client", client), h("div.field.submit", h("button.primary", { type: "submit" }, "Show")));
  view.append(heading("Conversations"), form, list, pager, reader);

  async function open(c) {
    const full = await get(`/admin/conversations/${encodeURIComponent(c.client_id)}/${encodeURIComponent(c.id)}`);
    if (scope.aborted) return;
    clear(reader).append(
      h(
        "section.panel",
        { "aria-label": `Conversation ${full.id}` },
        h("h2", `Conversation ${full.id}`),
        h("p.muted", `${full.client_id} · ${full.model} · ${num(full.message_count)} messages · updated ${when(full.updated_at)}`),
        h("ol.transcript", full.messages.map((m) => messageView(m.message, m.model, m.created_at))),
      ),
    );
    reader.querySelector("h2").scrollIntoView({ block: "start" });
  }

  let cursors = [null];
  async function load(page) {
    const result = await get("/admin/conversations", { client_id: client.value.trim(), limit: PAGE, after: cursors[page] });
    if (scope.aborted) return;
    cursors = cursors.slice(0, page + 1);
    if (result.has_more) cursors.push(result.last_id);
    clear(list).append(
      table(
        [
          {
            label: "Conversation",
            cell: (c) => {
              const button = h("button.link", { type: "button" }, c.id);
              button.addEventListener("click", () => open(c));
              return button;
            },
          },
          { label: "Client", cell: (c) => h("span.mono", c.client_id) },
          { label: "Model", cell: (c) => c.model },
          { label: "Messages", cell: (c) => num(c.message_count), class: "num" },
          { label: "Updated", cell: (c) => when(c.updated_at) },
        ],
        result.data,
        { empty: "No stored conversations. Turn them on with conversations.enabled, or per key." },
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
