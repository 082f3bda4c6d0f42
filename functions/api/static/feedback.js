// The supplier's "Terugkoppeling": what the gemeenten did with its customers (GET /api/outbox):
// approached, with the date until which collection pauses, and the outcome. The API answers
// oldest first, a page at a time (`next`); the page follows `next` to the end and shows the
// newest first, a table page at a time, and downloads the lot as CSV. Only what the API returns.

import * as api from "./api.js";
import { csvText, save } from "./csv.js";
import { byId, fill, h, table } from "./dom.js";
import { day, daysAgo, number } from "./format.js";
import { alertBox, announce, busy, clearMessages, fail, session, showView } from "./ui.js";

const PAGE_SIZE = 50;
const MAX_REQUESTS = 10; // at most 10 × 1,000 entries: a later date shows the rest
const DEFAULT_DAYS = 183; // the outbox keeps its files half a year
const SOORT = { benaderd: "Benaderd", resultaat: "Resultaat" };
const COLUMNS = ["id", "klantnummer", "gemeente", "soort", "datum", "tijdstip", "pauze_tot", "resultaat"];
const state = { since: null, entries: null, more: false, page: 1 };

export async function showFeedback() {
  showView("terugkoppeling", "Terugkoppeling");
  const field = byId("terugkoppeling-vanaf");
  if (!field.value) field.value = daysAgo(DEFAULT_DAYS);
  await load(field.value); // anew on every visit: a gemeente may have approached a customer since
}

export function resetFeedback() {
  state.since = null;
  state.entries = null;
  state.more = false;
  state.page = 1;
  byId("form-terugkoppeling").reset();
  fill(byId("terugkoppeling-samenvatting"));
  fill(byId("terugkoppeling-tabel"));
  byId("terugkoppeling-paginering").hidden = true;
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every entry since `since`, following the API's cursor; newest first. */
async function load(since) {
  fill(byId("terugkoppeling-tabel"), h("p", { class: "utrecht-paragraph" }, "De berichten worden geladen…"));
  try {
    const entries = [];
    let after;
    let more = false;
    for (let request = 0; request < MAX_REQUESTS; request += 1) {
      const answer = await api.get("api/outbox", { since, after });
      entries.push(...answer.entries);
      more = answer.truncated && Boolean(answer.next);
      if (!more) break;
      after = answer.next;
    }
    entries.sort((a, b) => compare(b.tijdstip, a.tijdstip) || compare(b.id, a.id));
    Object.assign(state, { since, entries, more, page: 1 });
    render();
    return entries;
  } catch (error) {
    fill(byId("terugkoppeling-tabel"));
    fail(error);
    return null;
  }
}

function render() {
  const { entries, page, since } = state;
  const pages = Math.max(1, Math.ceil(entries.length / PAGE_SIZE));
  byId("terugkoppeling-samenvatting").textContent = entries.length
    ? `${number(entries.length)} berichten sinds ${day(since)}.`
    : `Geen berichten sinds ${day(since)}.`;
  const shown = entries.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const columns = [
    { label: "Datum" },
    { label: "Klantnummer", rowHeader: true },
    { label: "Gemeente" },
    { label: "Bericht" },
    { label: "Incasso gepauzeerd tot" },
    { label: "Resultaat" },
  ];
  const rows = shown.map((entry) => [
    day(entry.datum),
    entry.klantnummer,
    entry.gemeente,
    SOORT[entry.soort] || entry.soort,
    day(entry.pauze_tot),
    entry.resultaat || "–",
  ]);
  fill(byId("terugkoppeling-tabel"),
    state.more ? alertBox("warning", "Er zijn meer berichten dan deze pagina laadt. Kies een latere datum om de nieuwste te zien.") : null,
    shown.length
      ? table({
        caption: `Berichten sinds ${day(since)}, de nieuwste eerst, pagina ${page} van ${pages}`,
        columns, rows, id: "terugkoppeling",
      })
      : null);
  byId("terugkoppeling-pagina").textContent = `Pagina ${page} van ${pages}`;
  byId("terugkoppeling-vorige").disabled = page <= 1;
  byId("terugkoppeling-volgende").disabled = page >= pages;
  byId("terugkoppeling-paginering").hidden = pages <= 1;
}

function download(button) {
  busy(button, async () => {
    if (!state.entries) return;
    const who = session.me?.leverancier || "leverancier";
    const filename = `terugkoppeling-${who}-sinds-${state.since}.csv`;
    save(csvText(COLUMNS, state.entries.map((entry) => COLUMNS.map((name) => entry[name] ?? ""))), filename);
    announce(`${number(state.entries.length)} berichten gedownload als ${filename}.`);
  });
}

export function setUpFeedback() {
  const field = byId("terugkoppeling-vanaf");
  byId("form-terugkoppeling").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(field.value)) {
      fail(new api.ApiError(400, "since_missing", "Kies de datum vanaf wanneer u de berichten wilt zien."));
      field.focus();
      return;
    }
    const entries = await load(field.value);
    if (entries) announce(`${number(entries.length)} berichten sinds ${day(field.value)}.`);
  });
  byId("terugkoppeling-downloaden").addEventListener("click", (event) => download(event.currentTarget));
  for (const [id, step] of [["terugkoppeling-vorige", -1], ["terugkoppeling-volgende", 1]]) {
    byId(id).addEventListener("click", () => {
      state.page += step;
      render();
      byId("terugkoppeling-samenvatting").focus();
    });
  }
}
