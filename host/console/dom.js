// Small DOM helpers and formatters shared by the pages. Everything is built with
// createElement/textContent: no HTML strings, so nothing from the API is ever parsed
// as markup.

/** h("tag.class", {attr: value, onclick: fn}, ...children) */
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SVG element with attributes. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const integer = new Intl.NumberFormat("en-US");
export const num = (n) => (n === null || n === undefined ? "–" : integer.format(n));

export function ms(value) {
  if (value === null || value === undefined) return "–";
  if (value >= 10000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function pct(part, whole) {
  if (!whole) return "0%";
  return `${((100 * part) / whole).toFixed(part === whole || part === 0 ? 0 : 1)}%`;
}

/** Unix seconds (or milliseconds with `millis`) as local date and time. */
export function when(value, millis = false) {
  if (value === null || value === undefined) return "–";
  const date = new Date(millis ? value : value * 1000);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** Unix milliseconds, compactly: `Dec 1, 03:34:25`. */
export function stamp(millis) {
  return new Date(millis).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function timeOnly(seconds, withDate) {
  const date = new Date(seconds * 1000);
  if (withDate) return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** A labelled value for a stat strip. */
export function stat(label, value, detail, id) {
  return h("div.stat", { id }, h("span.stat-label", label), h("strong.stat-value", value), detail ? h("span.stat-detail", detail) : null);
}

/** A status badge that reads without colour: a symbol and a word. */
export function badge(kind, text) {
  const symbol = { ok: "●", warn: "▲", bad: "■", off: "○", info: "◆" }[kind] || "•";
  return h(`span.badge.badge-${kind}`, h("span", { "aria-hidden": "true" }, symbol), ` ${text}`);
}

/** A table from column specs [{label, cell: row => node|text, class?}] and rows. */
export function table(columns, rows, { caption, empty = "Nothing to show.", id } = {}) {
  const head = h("thead", h("tr", columns.map((c) => h("th", { scope: "col", class: c.class }, c.label))));
  const body = h(
    "tbody",
    rows.length
      ? rows.map((row) => h("tr", columns.map((c) => h("td", { class: c.class, "data-label": c.label }, c.cell(row)))))
      : h("tr", h("td.empty", { colspan: columns.length }, empty)),
  );
  return h("div.table-wrap", h("table", { id }, caption ? h("caption", caption) : null, head, body));
}

/** Shows a message in the notice area (errors are announced). */
export function notice(message, kind = "info") {
  const area = document.getElementById("notice");
  clear(area);
  if (!message) return;
  const close = h("button.quiet", { type: "button", "aria-label": "Dismiss" }, "×");
  const box = h(`div.notice.notice-${kind}`, { role: kind === "error" ? "alert" : null }, h("span", message), close);
  close.addEventListener("click", () => clear(area));
  area.append(box);
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div.field", h("label", { for: id }, label), input, hint ? h("small.hint", hint) : null);
}

export function heading(title, ...actions) {
  return h("div.page-head", h("h1", title), actions.length ? h("div.actions", actions) : null);
}

export function errorText(error) {
  return error?.code ? `${error.message} (${error.code})` : String(error?.message || error);
}
