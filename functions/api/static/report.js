// A delivery's validation report (GET /api/uploads/{id}, chalicelib/domain/report.py): status and
// counts, the file-level reason of a rejection, and the rejected rows and warnings in a table that
// filters by code and downloads as CSV. The lists hold at most the first findings of each code;
// the note says so when they are cut, and the counts per code count every row of the file.

import { csvText, save } from "./csv.js";
import { dataList, fill, h, options, table } from "./dom.js";
import { day, number } from "./format.js";
import { alertBox, announce } from "./ui.js";

export const STATUS = {
  accepted: "Geaccepteerd",
  accepted_with_errors: "Geaccepteerd, met afgekeurde regels",
  rejected: "Afgekeurd",
};
// A delivery's counts as a list of deliveries shows them: the columns and one row's cells.
export const COUNT_COLUMNS = [
  { label: "Regels gelezen", numeric: true },
  { label: "Geaccepteerd", numeric: true },
  { label: "Afgekeurd", numeric: true },
  { label: "Waarschuwingen", numeric: true },
];
export const countCells = (counts) =>
  [counts?.read, counts?.accepted, counts?.rejected, counts?.warnings].map((value) => number(value ?? 0));
const KIND = { error: "Afgekeurde regel", warning: "Waarschuwing" };
const CSV_KIND = { error: "fout", warning: "waarschuwing" };

/** The report's findings in file order: errors and warnings, each with its kind. */
function findings(report) {
  const all = [
    ...report.errors.map((item) => ({ ...item, kind: "error" })),
    ...report.warnings.map((item) => ({ ...item, kind: "warning" })),
  ];
  return all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function perCode(report) {
  const rows = [
    ...Object.entries(report.errors_per_code).map(([code, count]) => [code, KIND.error, number(count)]),
    ...Object.entries(report.warnings_per_code).map(([code, count]) => [code, KIND.warning, number(count)]),
  ];
  return rows.sort((a, b) => a[0].localeCompare(b[0]));
}

function findingsTable(prefix, items, code, total) {
  const columns = [
    { label: "Regel", numeric: true, rowHeader: true },
    { label: "Kolom" },
    { label: "Soort" },
    { label: "Code" },
    { label: "Melding" },
  ];
  const rows = items.map((item) => [
    item.line === null || item.line === undefined ? "–" : number(item.line),
    item.column || "–",
    KIND[item.kind],
    h("code", { class: "utrecht-code" }, item.code),
    item.message,
  ]);
  const which = code ? ` met code ${code}` : "";
  const caption = `Afgekeurde regels en waarschuwingen${which}: ${number(items.length)} van ${number(total)}`;
  return table({ caption, columns, rows, id: `${prefix}-meldingen` });
}

/**
 * Show `report` in `container`. `prefix` keeps the ids of two reports on the page apart;
 * `level` is the heading level of the report's sections (2 or 3).
 */
export function renderReport(container, report, prefix, level = 2) {
  const heading = (id, text) => h(`h${level}`, { class: `utrecht-heading-${level}`, id }, text);
  const all = findings(report);
  const state = { code: "" };
  const place = h("div", {});

  const codes = [...new Set(all.map((item) => item.code))].sort();
  const select = h("select", {
    class: "utrecht-select utrecht-select--html-select utrecht-form-field__input",
    id: `${prefix}-code`, name: "code",
  });
  options(select, `Alle codes (${number(all.length)})`,
    codes.map((code) => [code, `${code} (${number(all.filter((item) => item.code === code).length)})`]), "");

  const shown = () => (state.code ? all.filter((item) => item.code === state.code) : all);
  const draw = () => fill(place, findingsTable(prefix, shown(), state.code, all.length));

  const filter = h("form", {
    class: "vp-filters", novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      state.code = select.value;
      draw();
      announce(state.code
        ? `${number(shown().length)} meldingen met code ${state.code}.`
        : `Alle ${number(all.length)} meldingen.`);
    },
  },
  h("div", { class: "utrecht-form-field" },
    h("label", { class: "utrecht-form-label utrecht-form-field__label", for: select.id }, "Toon meldingen met code"),
    select),
  h("div", { class: "utrecht-button-group vp-actions" },
    h("button", { type: "submit", class: "utrecht-button utrecht-button--primary-action utrecht-button--submit" }, "Filteren"),
    h("button", {
      type: "button", class: "utrecht-button utrecht-button--secondary-action",
      onclick: () => {
        const items = shown();
        const filename = `rapport-${report.levering}${state.code ? `-${state.code}` : ""}.csv`;
        save(csvText(["regel", "kolom", "soort", "code", "melding"],
          items.map((item) => [item.line ?? "", item.column ?? "", CSV_KIND[item.kind], item.code, item.message])), filename);
        announce(`${number(items.length)} meldingen gedownload als ${filename}.`);
      },
    }, "Download de meldingen als CSV")));

  const counts = report.counts;
  fill(container,
    dataList([
      ["Bestand", report.bestand],
      ["Levering", h("code", { class: "utrecht-code" }, report.levering)],
      ["Status", STATUS[report.status] || report.status],
      ["Peildatum", day(report.peildatum)],
      ["Regels gelezen", number(counts.read)],
      ["Regels geaccepteerd", number(counts.accepted)],
      ["Regels afgekeurd", number(counts.rejected)],
      ["Waarschuwingen", number(counts.warnings)],
    ]),
    report.rejection
      ? alertBox("error", "Het bestand is in zijn geheel afgekeurd: ", report.rejection.message,
        report.rejection.line ? ` (regel ${number(report.rejection.line)})` : "")
      : null,
    report.truncated && report.note ? alertBox("info", report.note) : null,
    h("section", { class: "vp-section", "aria-labelledby": `${prefix}-meldingen-titel` },
      heading(`${prefix}-meldingen-titel`, "Afgekeurde regels en waarschuwingen"),
      all.length
        ? [filter, place]
        : h("p", { class: "utrecht-paragraph" }, "Dit bestand heeft geen afgekeurde regels en geen waarschuwingen.")),
    perCode(report).length
      ? h("section", { class: "vp-section", "aria-labelledby": `${prefix}-per-code-titel` },
        heading(`${prefix}-per-code-titel`, "Aantal per code"),
        table({
          caption: "Aantal meldingen per code, over alle regels van het bestand",
          columns: [{ label: "Code", rowHeader: true }, { label: "Soort" }, { label: "Aantal", numeric: true }],
          rows: perCode(report),
          id: `${prefix}-per-code`,
        }))
      : null);
  if (all.length) draw();
}
