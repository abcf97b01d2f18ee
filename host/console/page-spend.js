// Spend: what requests cost per day, model and key (from /admin/spend, the daily
// rollup), and budgets with where each stands this period (/admin/budgets): create,
// change the amount or threshold, delete.

import { call, get } from "./api.js";
import { lineChart } from "./chart.js";
import { badge, clear, errorText, field, h, heading, notice, num, stat, table } from "./dom.js";

const RANGES = [
  { label: "This month", since: () => null },
  { label: "Last 7 days", since: () => daysAgo(6) },
  { label: "Last 30 days", since: () => daysAgo(29) },
  { label: "Last 90 days", since: () => daysAgo(89) },
];

function daysAgo(days) {
  const d = new Date(Date.now() - days * 86400000);
  return d.toISOString().slice(0, 10);
}

/** Dollars, with cents (and finer for small amounts). */
export function usd(value) {
  if (value === null || value === undefined) return "unknown";
  const digits = Math.abs(value) < 1 && value !== 0 ? 4 : 2;
  return `$${value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

function lineTable(lines, label, link) {
  return table(
    [
      { label, cell: (l) => (link ? h("a", { href: link(l.group), "data-nav": true }, l.group) : l.group) },
      { label: "Cost", cell: (l) => usd(l.cost_usd), class: "num" },
      { label: "Requests", cell: (l) => num(l.requests), class: "num" },
      { label: "Input", cell: (l) => num(l.input_tokens), class: "num" },
      { label: "Cached", cell: (l) => num(l.cached_tokens), class: "num" },
      { label: "Output", cell: (l) => num(l.output_tokens), class: "num" },
      { label: "Unpriced", cell: (l) => (l.unpriced_requests ? badge("warn", num(l.unpriced_requests)) : "0"), class: "num" },
    ],
    [...lines].sort((a, b) => b.cost_usd - a.cost_usd),
    { empty: "No spend in this range." },
  );
}

function standing(b) {
  if (b.exceeded) return badge("bad", "spent");
  if (b.soft_threshold_exceeded) return badge("warn", "past threshold");
  return badge("ok", "within");
}

function budgetTable(budgets, reload) {
  return table(
    [
      { label: "Covers", cell: (b) => (b.key_id ? h("span", "key ", h("code", b.key_id)) : h("span", "team ", h("strong", b.team))) },
      { label: "Period", cell: (b) => b.period },
      { label: "Amount", cell: (b) => usd(b.amount_usd), class: "num" },
      { label: "Spent", cell: (b) => usd(b.spent_usd), class: "num" },
      { label: "Reserved", cell: (b) => usd(b.reserved_usd), class: "num" },
      { label: "Left", cell: (b) => usd(b.remaining_usd), class: "num" },
      { label: "Resets", cell: (b) => new Date(b.resets_at * 1000).toLocaleString() },
      { label: "Standing", cell: standing },
      {
        label: "Actions",
        cell: (b) =>
          h(
            "div.row-actions",
            h("button.quiet", { type: "button", onclick: () => changeAmount(b, reload) }, "Change amount"),
            h("button.quiet.danger", { type: "button", onclick: () => remove(b, reload) }, "Delete"),
          ),
      },
    ],
    budgets,
    { empty: "No budgets yet.", id: "budgets" },
  );
}

async function changeAmount(budget, reload) {
  const answer = prompt(`New amount in dollars for this ${budget.period} budget`, String(budget.amount_usd));
  if (answer === null) return;
  try {
    await call("PATCH", `/admin/budgets/${encodeURIComponent(budget.id)}`, { amount_usd: Number(answer) });
    notice("Budget changed.");
    await reload();
  } catch (error) {
    notice(errorText(error), "error");
  }
}

async function remove(budget, reload) {
  if (!confirm("Delete this budget? Its key or team can spend without a cap.")) return;
  try {
    await call("DELETE", `/admin/budgets/${encodeURIComponent(budget.id)}`);
    notice("Budget deleted.");
    await reload();
  } catch (error) {
    notice(errorText(error), "error");
  }
}

/** The form for a new budget; `params` may name its key (`key_id`) or `team`. */
function budgetForm(onCreated, params) {
  const forTeam = params.has("team") && !params.has("key_id");
  const scope = h(
    "select",
    { name: "scope" },
    h("option", { value: "key_id", selected: !forTeam }, "One key (its id)"),
    h("option", { value: "team", selected: forTeam }, "A team (every key with this team)"),
  );
  const subject = h("input", {
    name: "subject",
    required: true,
    placeholder: "key_… or a team name",
    autocomplete: "off",
    value: params.get("key_id") || params.get("team") || "",
  });
  const amount = h("input", { name: "amount", type: "number", min: "0.01", step: "0.01", required: true, inputmode: "decimal" });
  const period = h("select", { name: "period" }, ["month", "week", "day"].map((p) => h("option", { value: p }, p)));
  const soft = h("input", { name: "soft", type: "number", min: "1", max: "100", step: "1", placeholder: "80" });
  const error = h("p.form-error", { role: "alert" });
  const form = h(
    "form.panel.budget-form",
    h("div.row", field("Covers", scope), field("Key id or team", subject)),
    h("div.row", field("Amount (dollars)", amount), field("Period", period), field("Warn at (% of amount)", soft, "empty: no warning")),
    error,
    h("div.form-actions", h("button", { type: "submit" }, "Create budget")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = { [scope.value]: subject.value.trim(), amount_usd: Number(amount.value), period: period.value };
    if (soft.value) body.soft_threshold = Number(soft.value) / 100;
    try {
      await call("POST", "/admin/budgets", body);
      form.reset();
      notice("Budget created.");
      await onCreated();
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  });
  return form;
}

export async function render(view, { scope, params }) {
  const select = h("select", { id: "spend-range" }, RANGES.map((r, i) => h("option", { value: i }, r.label)));
  const body = h("div");
  const budgets = h("div");
  view.append(heading("Spend", field("Range", select)), body, h("section", h("h2", "Budgets"), budgets));

  async function loadSpend() {
    const since = RANGES[Number(select.value)].since();
    const query = since ? { since } : {};
    const [byDay, byModel, byKey] = await Promise.all([
      get("/admin/spend", { ...query, group_by: "day" }),
      get("/admin/spend", { ...query, group_by: "model" }),
      get("/admin/spend", { ...query, group_by: "key" }),
    ]);
    if (scope.aborted) return;
    const total = byDay.total;
    clear(body).append(
      h(
        "section.stats",
        { "aria-label": `Spend from ${byDay.since} to ${byDay.until} (${byDay.time_zone})` },
        stat("Cost", usd(total.cost_usd), `${byDay.since} to ${byDay.until}`, "stat-cost"),
        stat("Requests", num(total.requests), null, "stat-spend-requests"),
        stat("Cached input", num(total.cached_tokens), `of ${num(total.input_tokens + total.cached_tokens)} input tokens`, "stat-cached"),
        stat("Unpriced", num(total.unpriced_requests), "requests of models without a price", "stat-unpriced"),
      ),
      h(
        "section.charts",
        lineChart({
          id: "chart-cost",
          title: `Cost per day (${byDay.time_zone})`,
          times: byDay.data.map((d) => Date.parse(`${d.group}T00:00:00Z`) / 1000),
          format: usd,
          label: (t) => new Date(t * 1000).toISOString().slice(0, 10),
          series: [{ name: "Cost", values: byDay.data.map((d) => d.cost_usd) }],
        }),
      ),
      h("section", h("h2", "By model"), lineTable(byModel.data, "Model")),
      h("section", h("h2", "By key"), lineTable(byKey.data, "Key", (k) => `/ui/requests?client_id=${encodeURIComponent(k)}`)),
    );
  }

  async function loadBudgets() {
    const list = await get("/admin/budgets");
    if (scope.aborted) return;
    clear(budgets).append(budgetTable(list.data, loadBudgets), h("h3", { id: "new-budget" }, "New budget"), budgetForm(loadBudgets, params));
  }

  select.addEventListener("change", () => loadSpend().catch((e) => notice(errorText(e), "error")));
  await Promise.all([loadSpend(), loadBudgets()]);
}
