// The operator's "Beheer", read-only: the matching runs, every supplier's deliveries of a month
// with the missing ones marked, what quarantine holds, and the registry, from the operators' routes
// (GET /api/beheer/{register,runs,leveringen,quarantaine}), asked for at once. The API gives ids,
// dates, codes and counts only, and the page shows nothing else: no person's data reaches it.

import * as api from "./api.js";
import { byId, fill, h, options, table } from "./dom.js";
import { bytes, day, euro, moment, month, number, yesNo } from "./format.js";
import { COUNT_COLUMNS, countCells, STATUS } from "./report.js";
import { alertBox, announce, busy, clearMessages, fail, showView } from "./ui.js";

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MONTHS_BACK = 36; // the months to choose from, this one included: as far back as the runs go
const PLACES = ["beheer-rondes", "beheer-leveringen", "beheer-quarantaine", "beheer-register"];
const NOT_LOADED = "Dit onderdeel kon niet worden geladen.";
const RUN_STATUS = { published: "Gepubliceerd", publishing: "Wordt gepubliceerd" };
// Each visit and each month asked for counts up: an answer to an older one is not shown.
const state = { visit: 0, month: 0, names: { gemeente: new Map(), leverancier: new Map() } };

function text(content) {
  return h("p", { class: "utrecht-paragraph" }, content);
}

function code(value) {
  return h("code", { class: "utrecht-code" }, value);
}

function badge(kind, label) {
  return h("span", { class: `utrecht-status-badge utrecht-status-badge--${kind}` }, label);
}

function named(kind, id) {
  const naam = state.names[kind].get(id);
  return naam ? `${naam} (${id})` : id;
}

function list(items) {
  if (!items.length) return "–";
  return h("ul", { class: "utrecht-unordered-list vp-compact-list" },
    items.map((item) => h("li", { class: "utrecht-unordered-list__item" }, item)));
}

/** A day in words on one line: a long list stays one line a row. */
function oneLine(iso) {
  return day(iso).replaceAll(" ", "\u00a0");
}

function supplier(item) {
  return `${item.naam} (${item.leverancier})`;
}

export async function showBeheer() {
  showView("beheer", "Beheer");
  const visit = ++state.visit;
  const monthAsked = ++state.month;
  for (const id of PLACES) fill(byId(id), text("Wordt geladen…"));
  const chosen = byId("beheer-maand").value; // the month chosen earlier in this session, if any
  const answers = await Promise.allSettled([
    api.get("api/beheer/register"),
    api.get("api/beheer/runs"),
    api.get("api/beheer/leveringen", { maand: MONTH.test(chosen) ? chosen : "" }),
    api.get("api/beheer/quarantaine"),
  ]);
  if (visit !== state.visit) return;
  const [register, runs, leveringen, quarantaine] = answers;
  if (register.status === "fulfilled") remember(register.value);
  const sections = [
    ["beheer-rondes", runs, renderRuns],
    ["beheer-leveringen", leveringen, renderLeveringen],
    ["beheer-quarantaine", quarantaine, renderQuarantaine],
    ["beheer-register", register, renderRegister],
  ];
  for (const [id, answer, render] of sections) {
    if (id === "beheer-leveringen" && monthAsked !== state.month) continue; // a month chosen meanwhile
    if (answer.status === "fulfilled") render(answer.value);
    else fill(byId(id), alertBox("error", NOT_LOADED));
  }
  // One message for what failed (the same cause, most often; an expired sign-in signs out once).
  const failed = answers.find((answer) => answer.status === "rejected");
  if (failed) fail(failed.reason);
}

function remember(register) {
  for (const gemeente of register.gemeenten || []) state.names.gemeente.set(gemeente.code, gemeente.naam);
  for (const leverancier of register.leveranciers || []) state.names.leverancier.set(leverancier.id, leverancier.naam);
}

export function resetBeheer() {
  state.visit += 1;
  state.month += 1;
  state.names.gemeente.clear();
  state.names.leverancier.clear();
  const select = byId("beheer-maand");
  select.replaceChildren();
  delete select.dataset.newest;
  for (const id of PLACES) fill(byId(id));
}

// ---------------------------------------------------------------- Matchingsrondes

function runStatus(run) {
  if (run.failure) return badge("warning", "Gestopt");
  if (run.status === "published") return badge("success", RUN_STATUS.published);
  return RUN_STATUS[run.status] || run.status;
}

function renderRuns(answer) {
  const place = byId("beheer-rondes");
  if (!answer.runs.length) {
    fill(place, text("Er is nog geen matchingsronde begonnen."));
    return;
  }
  const columns = [
    { label: "Peildatum", rowHeader: true },
    { label: "Ronde" },
    { label: "Status" },
    { label: "Begonnen" },
    { label: "Gepubliceerd" },
    { label: "Signalen per gemeente" },
    { label: "Signalen in totaal", numeric: true },
    { label: "Toelichting" },
  ];
  const rows = answer.runs.map((run) => [
    day(run.as_of),
    code(run.run_id),
    runStatus(run),
    moment(run.begun_at),
    moment(run.published_at),
    list(Object.entries(run.gemeenten)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([gemeente, count]) => `${named("gemeente", gemeente)}: ${number(count)}`)),
    number(run.cases),
    run.failure || "–",
  ]);
  fill(place,
    table({ caption: "Matchingsrondes, de nieuwste eerst", columns, rows, id: "beheer-rondes-tabel", scrollable: true }),
    answer.truncated ? alertBox("info", "Alleen de nieuwste rondes staan hier; oudere zijn weggelaten.") : null);
}

// ---------------------------------------------------------------- Leveringen

function delivery(leverancier, dagen) {
  if (leverancier.ontbreekt) {
    return [badge("danger", "Ontbreekt"), ` geen geaccepteerde levering in ${number(dagen)} dagen`];
  }
  if (!leverancier.convenant_actief) return "Geen actief convenant";
  return "Levert";
}

/** The months to choose from, newest (the API's today) first; `selected` chosen. The page's own
 * list with Dutch names, not a native month field: its format would be the browser's language. */
function months(peildatum, selected) {
  const select = byId("beheer-maand");
  const newest = peildatum.slice(0, 7);
  if (select.dataset.newest !== newest) {
    const values = Array.from({ length: MONTHS_BACK }, (_, back) => shifted(newest, -back));
    if (!values.includes(selected)) values.push(selected);
    options(select, null, values.map((value) => [value, month(value)]), selected);
    select.dataset.newest = newest;
  }
  select.value = selected;
}

function renderLeveringen(answer) {
  months(answer.peildatum, answer.maand);
  const shown = month(answer.maand);
  const missing = answer.leveranciers.filter((item) => item.ontbreekt);
  const suppliers = table({
    caption: `Leveranciers, stand op ${day(answer.peildatum)}`,
    columns: [
      { label: "Leverancier", rowHeader: true },
      { label: "Convenant actief" },
      { label: "Laatste geaccepteerde levering" },
      { label: `Leveringen in ${shown}`, numeric: true },
      { label: "Aanlevering" },
    ],
    rows: answer.leveranciers.map((item) => [
      supplier(item),
      yesNo(item.convenant_actief),
      item.laatste_levering ? day(item.laatste_levering) : "nooit",
      `${number(item.leveringen.length)}${item.truncated ? " of meer" : ""}`,
      delivery(item, answer.dagen),
    ]),
    id: "beheer-leveranciers",
  });
  const received = answer.leveranciers.flatMap((item) => item.leveringen.map((levering) => [item, levering]));
  const deliveries = received.length
    ? table({
      caption: `Leveringen ontvangen in ${shown}, per leverancier de nieuwste eerst`,
      columns: [
        { label: "Leverancier" },
        { label: "Bestand", rowHeader: true },
        { label: "Ontvangen" },
        { label: "Status" },
        { label: "Peildatum" },
        ...COUNT_COLUMNS,
      ],
      rows: received.map(([item, levering]) => [
        item.naam,
        levering.bestand,
        oneLine(levering.ontvangen),
        STATUS[levering.status] || levering.status,
        oneLine(levering.peildatum),
        ...countCells(levering.counts),
      ]),
      id: "beheer-leveringen-tabel",
      scrollable: true,
    })
    : text(`Er is geen levering ontvangen in ${shown}.`);
  const cut = answer.leveranciers.filter((item) => item.truncated);
  fill(byId("beheer-leveringen"),
    text(`Een leverancier met een actief convenant die ${number(answer.dagen)} dagen geen geaccepteerde levering `
      + `stuurde, ontbreekt (stand op ${day(answer.peildatum)}, welke maand u ook kiest).`),
    missing.length
      ? alertBox("warning", missing.length === 1 ? "Eén leverancier ontbreekt: " : `${number(missing.length)} leveranciers ontbreken: `,
        missing.map(supplier).join(", "), ".")
      : null,
    suppliers,
    deliveries,
    cut.length
      ? alertBox("info", "Van ", cut.map(supplier).join(", "),
        " staan alleen de nieuwste leveringen van de maand hier.")
      : null);
  return received.length;
}

/** Show the deliveries of `maand` (YYYY-MM), keeping the rest of the view as it is. */
async function showMonth(maand) {
  const asked = ++state.month;
  clearMessages();
  fill(byId("beheer-leveringen"), text("Wordt geladen…"));
  try {
    const answer = await api.get("api/beheer/leveringen", { maand });
    if (asked !== state.month) return;
    const count = renderLeveringen(answer);
    announce(`${count === 1 ? "Eén levering" : `${number(count)} leveringen`} ontvangen in ${month(answer.maand)}.`);
  } catch (error) {
    if (asked !== state.month) return;
    fill(byId("beheer-leveringen"), alertBox("error", NOT_LOADED));
    fail(error);
  }
}

function shifted(maand, step) {
  const [, year, monthNumber] = MONTH.exec(maand);
  const first = new Date(Date.UTC(Number(year), Number(monthNumber) - 1 + step, 1));
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, "0")}`;
}

export function setUpBeheer() {
  const select = byId("beheer-maand");
  byId("form-maand").addEventListener("submit", (event) => {
    event.preventDefault();
    if (MONTH.test(select.value)) busy(event.submitter || byId("maand-tonen"), () => showMonth(select.value));
  });
  // The list runs newest first: an earlier month is further down.
  for (const [id, step, none] of [
    ["maand-vorige", 1, "U ziet de oudste maand die u kunt kiezen."],
    ["maand-volgende", -1, "U ziet de huidige maand; een latere is er nog niet."],
  ]) {
    byId(id).addEventListener("click", (event) => {
      const index = select.selectedIndex + step;
      if (select.selectedIndex < 0 || index < 0 || index >= select.options.length) {
        announce(none);
        return;
      }
      select.selectedIndex = index;
      busy(event.currentTarget, () => showMonth(select.value));
    });
  }
}

// ---------------------------------------------------------------- Quarantaine

function renderQuarantaine(answer) {
  const place = byId("beheer-quarantaine");
  const intro = text("Geweigerde bestanden blijven 30 dagen in quarantaine. Hier staan hun naam, grootte en de reden "
    + "uit het rapport; de inhoud toont Vindplaats niet.");
  if (!answer.bestanden.length) {
    fill(place, intro, text("Er staat geen bestand in quarantaine."));
    return;
  }
  const rows = answer.bestanden.map((file) => [
    file.bestand,
    named("leverancier", file.leverancier),
    code(file.levering),
    oneLine(file.ontvangen),
    [file.reden.message, " (", code(file.reden.code), ")"],
    bytes(file.bytes),
  ]);
  fill(place,
    intro,
    table({
      caption: "Bestanden in quarantaine, de nieuwste eerst",
      columns: [
        { label: "Bestand", rowHeader: true },
        { label: "Leverancier" },
        { label: "Levering" },
        { label: "Ontvangen" },
        { label: "Reden" },
        { label: "Grootte", numeric: true },
      ],
      rows,
      id: "beheer-quarantaine-tabel",
      scrollable: true,
    }),
    answer.truncated ? alertBox("info", "Alleen de nieuwste bestanden staan hier; oudere zijn weggelaten.") : null);
}

// ---------------------------------------------------------------- Register

function ownDays(venster) {
  return list(Object.entries(venster)
    .map(([soort, [laagste, hoogste]]) => `${soort}: ${number(laagste)} tot en met ${number(hoogste)} dagen`));
}

function renderRegister(answer) {
  const heading = (id, label) => h("h3", { class: "utrecht-heading-3", id }, label);
  fill(byId("beheer-register"),
    text(`Het register zoals het is ingelezen. Een convenant is actief als ${day(answer.peildatum)} in zijn periode valt. `
      + "U wijzigt het register met het commando vindplaats registry import."),
    heading("register-gemeenten-titel", "Gemeenten"),
    table({
      caption: "Gemeenten en hun regel voor de matching",
      columns: [
        { label: "Gemeente", rowHeader: true },
        { label: "Code" },
        { label: "Minimaal aantal leveranciers", numeric: true },
        { label: "Achterstand in dagen" },
        { label: "Minimaal totaalbedrag", numeric: true },
        { label: "Soorten achterstand" },
        { label: "Eigen dagen per soort" },
      ],
      rows: answer.gemeenten.map((gemeente) => [
        gemeente.naam,
        code(gemeente.code),
        number(gemeente.min_leveranciers),
        `${number(gemeente.min_dagen)} tot en met ${number(gemeente.max_dagen)}`,
        euro(gemeente.min_bedrag),
        gemeente.signaaltypen.length ? gemeente.signaaltypen.join(", ") : "alle",
        ownDays(gemeente.venster),
      ]),
      id: "register-gemeenten",
      scrollable: true,
    }),
    heading("register-leveranciers-titel", "Leveranciers"),
    table({
      caption: "Leveranciers in het register",
      columns: [
        { label: "Leverancier", rowHeader: true },
        { label: "Id" },
        { label: "Soort achterstand" },
        { label: "Maximaal percentage afgekeurde regels", numeric: true },
      ],
      rows: answer.leveranciers.map((leverancier) => [
        leverancier.naam,
        code(leverancier.id),
        leverancier.signaaltype,
        `${number(leverancier.max_fout_percentage)}%`,
      ]),
      id: "register-leveranciers",
    }),
    heading("register-convenanten-titel", "Convenanten"),
    table({
      caption: `Convenanten tussen gemeenten en leveranciers, actief op ${day(answer.peildatum)} of niet`,
      columns: [
        { label: "Gemeente", rowHeader: true },
        { label: "Leverancier" },
        { label: "Vanaf" },
        { label: "Tot en met" },
        { label: "Actief" },
      ],
      rows: answer.convenanten.map((convenant) => [
        named("gemeente", convenant.gemeente),
        named("leverancier", convenant.leverancier),
        day(convenant.vanaf),
        convenant.tot ? day(convenant.tot) : "geen einddatum",
        yesNo(convenant.actief),
      ]),
      id: "register-convenanten",
    }));
}
