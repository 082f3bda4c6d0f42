// CSV files built in the browser (a report's findings, the supplier's feedback) and saved as a
// download. Every cell a spreadsheet would read as a formula gets a leading quote, as the API's
// own export does (chalicelib/services/overview.py, OWASP "CSV injection").

import { h } from "./dom.js";

const FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"];

/** The cell with a leading `'` when a spreadsheet would start a formula with it. */
export function neutralised(value) {
  const cell = value === null || value === undefined ? "" : String(value);
  return FORMULA_STARTS.some((start) => cell.startsWith(start)) ? `'${cell}` : cell;
}

function quoted(cell) {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** RFC 4180 text (comma, CRLF, quotes where needed) of a header and rows, each cell neutralised. */
export function csvText(header, rows) {
  return [header, ...rows].map((row) => row.map((cell) => quoted(neutralised(cell))).join(",")).join("\r\n") + "\r\n";
}

/** Offer `text` as a download named `filename`. */
export function save(text, filename) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = h("a", { href: url, download: filename, class: "vp-visually-hidden" }, filename);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
