// The request log: newest first, filtered on the server by key, model, outcome and
// time (/admin/requests?order=desc&client_id=&model=&status=&since=&until=), paged
// by cursor.

import { get } from "./api.js";
import { badge, clear, errorText, field, h, heading, ms, notice, num, stamp, table } from "./dom.js";

const PAGE = 50;
const DAY = 86400;

function outcome(row) {
  if (row.status >= 500 || (row.error_type && row.status < 400)) return badge("bad", `${row.status}${row.error_type ? ` ${row.error_type}` : ""}`);
  if (row.status >= 400) return badge("warn", `${row.status}${row.error_type ? ` ${row.error_type}` : ""}`);
  return badge("ok", String(row.status));
}

const localInput = (seconds) => (seconds ? new Date(seconds * 1000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "");
const fromLocal = (value) => (value ? Math.floor(new Date(value).getTime() / 1000) : null);

export async function render(view, { scope, params }) {
  const models = (await get("/admin/models")).data.map((m) => m.name);
  const client = h("input", { id: "log-client", name: "client_id", placeholder: "key_… or anonymous, admin, console", value: params.get("client_id") || "" });
  const model = h("input", { id: "log-model", name: "model", list: "log-models", value: params.get("model") || "" });
  const modelList = h("datalist", { id: "log-models" }, models.map((m) => h("option", { value: m })));
  const outcomeSelect = h(
    "select",
    { id: "log-status", name: "status" },
    [["", "Any"], ["ok", "Succeeded"], ["error", "Failed"], ["400", "400"], ["401", "401"], ["403", "403"], ["404", "404"], ["429", "429"], ["500", "500"], ["502", "502"], ["503", "503"]].map(([v, label]) =>
      h("option", { value: v, selected: v === (params.get("status") || "") }, label),
    ),
  );
  const now = Math.floor(Date.now() / 1000);
  const since = h("input", { type: "datetime-local", id: "log-since", value: localInput(now - 7 * DAY) });
  const until = h("input", { type: "datetime-local", id: "log-until" });
  const apply = h("button.primary", { type: "submit" }, "Search");
  const list = h("div", { id: "log-list" });
  const pager = h("div.pager");
  const form = h(
    "form.filters",
    { role: "search" },
    field("Client", client),
    field("Model", model),
    modelList,
    field("Outcome", outcomeSelect),
    field("From", since),
    field("To", until, "empty: now"),
    h("div.field.submit", apply),
  );
  view.append(heading("Request log"), form, list, pager);

  let cursors = [null];
  async function load(page) {
    const query = {
      order: "desc",
      limit: PAGE,
      client_id: client.value.trim(),
      model: model.value.trim(),
      status: outcomeSelect.value,
      since: fromLocal(since.value) ?? 0,
      until: fromLocal(until.value) ?? Math.floor(Date.now() / 1000) + 1,
      after: cursors[page],
    };
    const result = await get("/admin/requests", query);
    if (scope.aborted) return;
    cursors = cursors.slice(0, page + 1);
    if (result.has_more) cursors.push(result.next);
    clear(list).append(
      table(
        [
          { label: "Time", cell: (r) => h("span.nowrap", stamp(r.at_ms)) },
          { label: "Client", cell: (r) => h("a", { href: `/ui/requests?client_id=${encodeURIComponent(r.client_id)}`, "data-nav": true, class: "mono" }, r.client_id) },
          { label: "Model", cell: (r) => r.model },
          { label: "Endpoint", cell: (r) => h("code", r.endpoint) },
          { label: "Outcome", cell: outcome },
          { label: "Latency", cell: (r) => ms(r.latency_ms), class: "num" },
          { label: "Tokens", cell: (r) => (r.total_tokens === null ? "–" : `${num(r.prompt_tokens)} + ${num(r.completion_tokens)}`), class: "num" },
          { label: "Stream", cell: (r) => (r.streamed ? "yes" : "no") },
          { label: "Adapter", cell: (r) => (r.platform ? `${r.platform} ${r.adapter_version || ""}` : "–") },
          { label: "Request id", cell: (r) => h("small.mono", { title: r.request_id }, r.request_id.length > 13 ? `${r.request_id.slice(0, 8)}…` : r.request_id) },
        ],
        result.data,
        { id: "log-table", empty: "No request matches." },
      ),
    );
    clear(pager);
    const newer = h("button", { type: "button", disabled: page === 0 }, "← Newer");
    const older = h("button", { type: "button", id: "log-older", disabled: !result.has_more }, "Older →");
    newer.addEventListener("click", () => load(page - 1).catch(fail));
    older.addEventListener("click", () => load(page + 1).catch(fail));
    pager.append(newer, h("span.muted", `Page ${page + 1}`), older);
  }
  const fail = (error) => notice(errorText(error), "error");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cursors = [null];
    history.replaceState(null, "", `/ui/requests?${new URLSearchParams({ client_id: client.value.trim(), model: model.value.trim(), status: outcomeSelect.value })}`);
    load(0).catch(fail);
  });
  await load(0);
}
