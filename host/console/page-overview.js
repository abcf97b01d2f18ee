// Overview: traffic, errors, latency and tokens over a time range, overall and by model
// and by key, from /admin/traffic (the rollups). Each chart is a list of series; cost
// has its own page (page-spend.js), read from the daily spend rollup.

import { get } from "./api.js";
import { lineChart } from "./chart.js";
import { badge, clear, field, h, heading, ms, num, pct, stat, table } from "./dom.js";

const RANGES = [
  { label: "Last hour", seconds: 3600 },
  { label: "Last 6 hours", seconds: 6 * 3600 },
  { label: "Last 24 hours", seconds: 86400 },
  { label: "Last 7 days", seconds: 7 * 86400 },
];
const REFRESH_MS = 30000;

/** The stat strip: [label, value from totals, detail]. */
const METRICS = [
  ["Requests", (t) => num(t.requests), () => null, "stat-requests"],
  ["Errors", (t) => num(t.errors), (t) => `${pct(t.errors, t.requests)} of requests`, "stat-errors"],
  ["Latency p50", (t) => ms(t.p50_ms), () => "median", "stat-p50"],
  ["Latency p99", (t) => ms(t.p99_ms), () => "99th percentile", "stat-p99"],
  ["Tokens", (t) => num(t.total_tokens), (t) => `${num(t.prompt_tokens)} in · ${num(t.completion_tokens)} out`, "stat-tokens"],
];

/** The charts: each a title, a value format and its series from the buckets. */
const CHARTS = [
  {
    id: "chart-requests",
    title: "Requests and errors",
    integer: true,
    format: (v) => num(Math.round(v)),
    series: [
      ["Requests", (b) => b.requests],
      ["Errors", (b) => b.errors],
    ],
  },
  {
    id: "chart-latency",
    title: "Latency (p50 and p99)",
    format: ms,
    series: [
      ["p50", (b) => b.p50_ms],
      ["p99", (b) => b.p99_ms],
    ],
  },
  {
    id: "chart-tokens",
    title: "Tokens",
    integer: true,
    format: (v) => num(Math.round(v)),
    series: [
      ["Prompt", (b) => b.prompt_tokens],
      ["Completion", (b) => b.completion_tokens],
    ],
  },
];

function groupTable(groups, label, link, names) {
  return table(
    [
      {
        label,
        cell: (g) => (g.group ? h("a", { href: link(g.group), "data-nav": true }, names?.[g.group] || g.group) : h("span.muted", "(none: refused before routing)")),
      },
      { label: "Requests", cell: (g) => num(g.requests), class: "num" },
      { label: "Errors", cell: (g) => (g.errors ? badge("bad", `${num(g.errors)} (${pct(g.errors, g.requests)})`) : "0"), class: "num" },
      { label: "p50", cell: (g) => ms(g.p50_ms), class: "num" },
      { label: "p99", cell: (g) => ms(g.p99_ms), class: "num" },
      { label: "Tokens", cell: (g) => num(g.total_tokens), class: "num" },
    ],
    groups,
    { empty: "No traffic in this range." },
  );
}

async function keyNames(groups) {
  const names = {};
  await Promise.all(
    groups
      .filter((g) => g.group.startsWith("key_"))
      .map(async (g) => {
        try {
          names[g.group] = (await get(`/admin/keys/${encodeURIComponent(g.group)}`)).name;
        } catch {
          names[g.group] = g.group;
        }
      }),
  );
  return names;
}

export async function render(view, { scope }) {
  const select = h("select", { id: "range" }, RANGES.map((r, i) => h("option", { value: i, selected: i === 2 }, r.label)));
  const refresh = h("button", { type: "button", id: "refresh" }, "Refresh");
  const updated = h("span.muted", { id: "updated" });
  const body = h("div");
  view.append(heading("Overview", field("Range", select), refresh, updated), body);

  async function load() {
    const range = RANGES[Number(select.value)];
    const until = Math.floor(Date.now() / 1000) + 1;
    const since = until - range.seconds;
    const [byModel, byKey] = await Promise.all([
      get("/admin/traffic", { since, until, group_by: "model", top: 10 }),
      get("/admin/traffic", { since, until, group_by: "key", top: 10 }),
    ]);
    if (scope.aborted) return;
    const names = await keyNames(byKey.groups);
    if (scope.aborted) return;
    const times = byModel.buckets.map((b) => b.start);
    clear(body);
    const totals = byModel.totals;
    body.append(
      h("section.stats", { "aria-label": "Totals for the range" }, METRICS.map(([label, value, detail, id]) => stat(label, value(totals), detail(totals), id))),
      h(
        "section.charts",
        CHARTS.map((chart) =>
          lineChart({
            id: chart.id,
            title: chart.title,
            times,
            format: chart.format,
            integer: chart.integer,
            series: chart.series.map(([name, pick]) => ({ name, values: byModel.buckets.map((b) => pick(b) ?? null) })),
          }),
        ),
      ),
      h("section", h("h2", "By model"), groupTable(byModel.groups, "Model", (g) => `/ui/requests?model=${encodeURIComponent(g)}`)),
      h("section", h("h2", "By key"), h("p.muted", "Per hour; the busiest first."), groupTable(byKey.groups, "Key", (g) => `/ui/requests?client_id=${encodeURIComponent(g)}`, names)),
    );
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  select.addEventListener("change", load);
  refresh.addEventListener("click", load);
  const timer = setInterval(() => {
    if (!document.hidden) load().catch(() => {});
  }, REFRESH_MS);
  scope.addEventListener("abort", () => clearInterval(timer));
  await load();
}
