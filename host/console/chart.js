// Hand-written SVG line charts. A chart takes any number of series over the same time
// buckets (requests, errors, latency percentiles, tokens, and later cost), and draws
// each with its own dash pattern and marker shape as well as its colour, so it reads
// in greyscale; every chart also carries its numbers as a table for screen readers
// and for anyone who would rather read.

import { h, svg, timeOnly } from "./dom.js";

const WIDTH = 480;
const HEIGHT = 210;
const PAD = { top: 12, right: 12, bottom: 28, left: 60 };
/** Per series index: dash pattern and marker. */
const DASHES = ["", "6 4", "2 3", "10 3 2 3", "1 5", "12 6"];
const MARKERS = ["circle", "square", "triangle", "diamond", "cross", "circle"];

/** A round upper bound for the y axis; for counts, one whose quarters are whole. */
function niceMax(value, integer) {
  if (!(value > 0)) return integer ? 4 : 1;
  const power = 10 ** Math.floor(Math.log10(value));
  let max = 10 * power;
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) {
      max = step * power;
      break;
    }
  }
  return integer ? Math.max(4, Math.ceil(max / 4) * 4) : max;
}

function marker(kind, x, y, index) {
  const cls = `mark s${index % 6}`;
  const r = 3.2;
  switch (kind) {
    case "square":
      return svg("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, class: cls });
    case "triangle":
      return svg("path", { d: `M${x} ${y - r - 0.8}L${x + r + 0.6} ${y + r}L${x - r - 0.6} ${y + r}Z`, class: cls });
    case "diamond":
      return svg("path", { d: `M${x} ${y - r - 1}L${x + r + 1} ${y}L${x} ${y + r + 1}L${x - r - 1} ${y}Z`, class: cls });
    case "cross":
      return svg("path", { d: `M${x - r} ${y - r}L${x + r} ${y + r}M${x + r} ${y - r}L${x - r} ${y + r}`, class: `${cls} cross` });
    default:
      return svg("circle", { cx: x, cy: y, r, class: cls });
  }
}

function legendKey(index) {
  const key = svg("svg", { width: 34, height: 12, viewBox: "0 0 34 12", "aria-hidden": "true", class: "legend-key" });
  key.append(svg("line", { x1: 1, y1: 6, x2: 33, y2: 6, class: `line s${index % 6}`, "stroke-dasharray": DASHES[index % DASHES.length] }));
  key.append(marker(MARKERS[index % MARKERS.length], 17, 6, index));
  return key;
}

/**
 * A line chart.
 * @param {object} spec
 * @param {string} spec.title  what it shows (also its accessible name)
 * @param {number[]} spec.times  bucket starts, unix seconds
 * @param {{name: string, values: (number|null)[]}[]} spec.series
 * @param {(v: number) => string} spec.format  axis and table values
 * @param {boolean} [spec.integer]  values are counts (whole axis ticks)
 * @param {string} [spec.id]  for tests and links
 * @param {(t: number) => string} [spec.label]  a bucket's label (default: its time)
 */
export function lineChart({ title, times, series, format, id, integer = false, label }) {
  const titleId = `${id || "chart"}-title`;
  const plot = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-labelledby": titleId,
    class: "chart-svg",
    preserveAspectRatio: "xMidYMid meet",
  });
  plot.append(svg("title", { id: titleId }, title));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const all = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
  const max = niceMax(Math.max(0, ...all), integer);
  const n = times.length;
  const x = (i) => PAD.left + (n <= 1 ? innerW / 2 : (i * innerW) / (n - 1));
  const y = (v) => PAD.top + innerH - (v / max) * innerH;

  for (let i = 0; i <= 4; i += 1) {
    const value = (max * i) / 4;
    const gy = y(value);
    plot.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: gy, y2: gy, class: i === 0 ? "axis" : "grid" }));
    plot.append(svg("text", { x: PAD.left - 6, y: gy + 4, class: "tick", "text-anchor": "end" }, format(value)));
  }
  const spanDays = n > 1 && times[n - 1] - times[0] > 86400;
  const tick = label || ((t) => timeOnly(t, spanDays));
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += every) {
    plot.append(svg("text", { x: x(i), y: HEIGHT - 8, class: "tick", "text-anchor": "middle" }, tick(times[i])));
  }

  const anything = all.some((v) => v > 0);
  if (!anything) {
    plot.append(svg("text", { x: PAD.left + innerW / 2, y: PAD.top + innerH / 2, class: "empty-note", "text-anchor": "middle" }, "Nothing in this range"));
  }
  const markEvery = Math.max(1, Math.ceil(n / 24));
  series.forEach((s, index) => {
    let path = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      path += `${pen ? "L" : "M"}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    if (path) {
      plot.append(svg("path", { d: path, class: `line s${index % 6}`, "stroke-dasharray": DASHES[index % DASHES.length] }));
    }
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const lone = (s.values[i - 1] ?? null) === null && (s.values[i + 1] ?? null) === null;
      if (!anything || (i % markEvery !== 0 && !lone && i !== n - 1)) return;
      plot.append(marker(MARKERS[index % MARKERS.length], x(i), y(v), index));
    });
  });

  const legend = h(
    "ul.legend",
    series.map((s, index) => h("li", legendKey(index), h("span", s.name), h("span.legend-total", s.summary ?? ""))),
  );
  const data = h(
    "details.chart-data",
    h("summary", "Show the numbers"),
    h(
      "div.table-wrap",
      h(
        "table",
        h("caption", title),
        h("thead", h("tr", h("th", { scope: "col" }, "Time"), series.map((s) => h("th", { scope: "col" }, s.name)))),
        h(
          "tbody",
          times.map((t, i) =>
            h("tr", h("td", tick(t)), series.map((s) => h("td", s.values[i] === null || s.values[i] === undefined ? "–" : format(s.values[i])))),
          ),
        ),
      ),
    ),
  );
  return h("figure.chart", { id }, h("figcaption", title), plot, legend, data);
}
