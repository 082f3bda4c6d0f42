// Horizontal bar charts drawn as SVG from /api/stats, each followed by the same numbers as a table
// (the text equivalent). A dozen bars need no charting library: this keeps the page free of
// third-party script, and SVG text stays sharp, zoomable and styled by the page's CSS.

import { h, s, table } from "./dom.js";
import { number } from "./format.js";

const WIDTH = 640;
const LABEL_WIDTH = 220;
const VALUE_WIDTH = 110;
const ROW = 32;
const BAR = 20;

/**
 * entries: [{label, count, suppressed}] in display order; threshold: the API's suppression bound.
 * Returns a <figure> with the chart and its table.
 */
export function barChart({ id, title, entries, threshold, labelHeader }) {
  const shown = entries.map((entry) => ({
    ...entry,
    text: entry.suppressed ? `minder dan ${threshold}` : number(entry.count),
  }));
  const max = Math.max(1, ...shown.map((entry) => entry.count || 0));
  const room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = Math.max(ROW, shown.length * ROW);
  const rows = shown.map((entry, index) => {
    const y = index * ROW;
    const length = entry.suppressed ? 0 : Math.max(2, Math.round((entry.count / max) * room));
    return s("g", { class: entry.suppressed ? "vp-chart__row vp-chart__row--suppressed" : "vp-chart__row" },
      s("text", { class: "vp-chart__label", x: LABEL_WIDTH - 8, y: y + ROW / 2, "text-anchor": "end", "dominant-baseline": "middle" },
        entry.label),
      length ? s("rect", { class: "vp-chart__bar", x: LABEL_WIDTH, y: y + (ROW - BAR) / 2, width: length, height: BAR }) : null,
      s("text", { class: "vp-chart__value", x: LABEL_WIDTH + length + 8, y: y + ROW / 2, "dominant-baseline": "middle" },
        entry.text));
  });
  const captionId = `${id}-titel`;
  const chart = s("svg", {
    class: "vp-chart__svg", viewBox: `0 0 ${WIDTH} ${height}`, role: "img",
    "aria-label": `Staafdiagram: ${title.toLowerCase()}. De aantallen staan ook in de tabel eronder.`,
    focusable: "false",
  }, s("line", { class: "vp-chart__axis", x1: LABEL_WIDTH, x2: LABEL_WIDTH, y1: 0, y2: height }), rows);
  return h("figure", { class: "vp-chart", id, "aria-labelledby": captionId },
    h("figcaption", { id: captionId, class: "utrecht-heading-3" }, title),
    chart,
    table({
      caption: `${title} (tabel)`,
      columns: [{ label: labelHeader, rowHeader: true }, { label: "Aantal signalen", numeric: true }],
      rows: shown.map((entry) => [entry.label, entry.text]),
    }));
}
