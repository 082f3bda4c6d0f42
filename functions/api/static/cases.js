// The case list: filters with counts, a page of cases, and for a coordinator the CSV export and
// marking cases approached.

import * as api from "./api.js";
import { byId, fill, h, options, table } from "./dom.js";
import { address, day, euro, number } from "./format.js";
import { announce, busy, clearMessages, fail, isCoordinator, names, remember, showView, wijkLabel } from "./ui.js";

const PAGE_SIZE = 25;
const FILTERS = ["wijk", "leverancier", "signaaltype", "status", "team", "herhaald", "crisis", "min_bedrag", "max_bedrag"];
const state = { filters: {}, page: 1, list: null, selected: new Set() };

/** Open the list (navigation): keeps the filters and page the user had. */
export async function showCases() {
  showView("signalen", "Signalen");
  await load();
}

export function resetCases() {
  state.filters = {};
  state.page = 1;
  state.list = null;
  state.selected.clear();
  byId("form-filters").reset();
  fill(byId("signalen-tabel"));
  fill(byId("signalen-samenvatting"));
}

async function load() {
  try {
    const list = await api.get("api/cases", { ...state.filters, page: state.page, page_size: PAGE_SIZE });
    state.list = list;
    remember(list.cases);
    render(list);
    return list;
  } catch (error) {
    fail(error);
    return null;
  }
}

function summary(list) {
  const run = list.as_of ? ` Peildatum ${day(list.as_of)}.` : "";
  if (!list.run) return "Er is nog geen matchingsronde gepubliceerd voor uw gemeente.";
  return `${number(list.total)} van ${number(list.visible)} signalen.${run}`;
}

function facetOptions(select, facet, label, allLabel, selected) {
  const values = Object.keys(facet).sort((a, b) => label(a).localeCompare(label(b), "nl"));
  if (selected && !values.includes(selected)) values.push(selected);
  options(select, allLabel, values.map((value) => [value, `${label(value)} (${number(facet[value] || 0)})`]), selected);
}

function yesNoOptions(select, facet, selected) {
  const pairs = [["true", "Ja"], ["false", "Nee"]].map(([value, label]) => [value, `${label} (${number(facet[value] || 0)})`]);
  options(select, "Alle", pairs, selected);
}

function renderFilters(list) {
  const facets = list.facets;
  const chosen = state.filters;
  facetOptions(byId("filter-wijk"), facets.wijk, wijkLabel, "Alle wijken", chosen.wijk);
  facetOptions(byId("filter-leverancier"), facets.leverancier, (id) => names.leverancier.get(id) || id,
    "Alle leveranciers", chosen.leverancier);
  facetOptions(byId("filter-signaaltype"), facets.signaaltype, (value) => value, "Alle soorten", chosen.signaaltype);
  facetOptions(byId("filter-status"), facets.status, (value) => value, "Alle statussen", chosen.status);
  facetOptions(byId("filter-team"), facets.team, (value) => value, "Alle wijkteams", chosen.team);
  yesNoOptions(byId("filter-herhaald"), facets.herhaald, chosen.herhaald);
  yesNoOptions(byId("filter-crisis"), facets.crisis, chosen.crisis);
  byId("filter-min-bedrag").value = chosen.min_bedrag || "";
  byId("filter-max-bedrag").value = chosen.max_bedrag || "";
}

function selector(item) {
  const id = `kies-${item.id}`;
  return h("span", { class: "vp-select-case" },
    h("input", {
      type: "checkbox", class: "utrecht-checkbox utrecht-checkbox--html-input", id, value: item.id,
      checked: state.selected.has(item.id),
      onchange: (event) => {
        if (event.target.checked) state.selected.add(item.id);
        else state.selected.delete(item.id);
      },
    }),
    h("label", { for: id, class: "vp-visually-hidden" }, `Kies ${address(item.adres)}`));
}

function renderTable(list) {
  const coordinator = isCoordinator();
  const columns = [
    ...(coordinator ? [{ label: "Kies" }] : []),
    { label: "Adres", rowHeader: true },
    { label: "Wijk" },
    { label: "Buurt" },
    { label: "Leveranciers", numeric: true },
    { label: "Totaal achterstand", numeric: true },
    { label: "Oudste achterstand" },
    { label: "Status" },
    { label: "Wijkteam" },
  ];
  const rows = list.cases.map((item) => [
    ...(coordinator ? [selector(item)] : []),
    h("a", { class: "utrecht-link", href: `#/signaal/${item.id}` }, address(item.adres)),
    item.wijk.naam || item.wijk.code,
    item.buurt.naam || item.buurt.code,
    number(item.aantal_leveranciers),
    euro(item.totaal_bedrag),
    day(item.oudste_achterstand),
    item.status,
    item.team || "–",
  ]);
  const caption = `Signalen op volgorde van prioriteit, pagina ${list.page} van ${Math.max(1, list.pages)}`;
  fill(byId("signalen-tabel"), list.cases.length
    ? table({ caption, columns, rows, id: "signalen" })
    : h("p", { class: "utrecht-paragraph" }, "Er zijn geen signalen die aan de filters voldoen."));
}

function render(list) {
  byId("signalen-samenvatting").textContent = summary(list);
  renderFilters(list);
  renderTable(list);
  const pages = Math.max(1, list.pages);
  byId("pagina").textContent = `Pagina ${list.page} van ${pages}`;
  byId("vorige").disabled = list.page <= 1;
  byId("volgende").disabled = list.page >= pages;
  byId("paginering").hidden = pages <= 1;
}

function readFilters() {
  const form = new FormData(byId("form-filters"));
  const filters = {};
  for (const name of FILTERS) {
    const value = String(form.get(name) || "").trim().replace(",", ".");
    if (value) filters[name] = value;
  }
  return filters;
}

async function exportList(button) {
  await busy(button, async () => {
    try {
      const { blob, filename } = await api.download("api/export.csv", state.filters, "signalen.csv");
      const link = h("a", { href: URL.createObjectURL(blob), download: filename, class: "vp-visually-hidden" }, filename);
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      announce(`De lijst is gedownload als ${filename} (${number(state.list?.total ?? 0)} signalen).`);
    } catch (error) {
      fail(error);
    }
  });
}

async function approach(button) {
  const ids = [...state.selected];
  if (!ids.length) {
    fail(new api.ApiError(400, "none_selected", "Kies eerst een of meer signalen in de tabel."));
    return;
  }
  await busy(button, async () => {
    try {
      const result = await api.post("api/cases/approach", { run: state.list?.run ?? undefined, case_ids: ids });
      state.selected.clear();
      await load();
      announce(`${number(result.case_ids.length)} signalen opgepakt. De leveranciers pauzeren de incasso tot ${day(result.pause_until)}.`);
    } catch (error) {
      fail(error);
    }
  });
}

export function setUpCases() {
  byId("form-filters").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    state.filters = readFilters();
    state.page = 1;
    const list = await load();
    if (list) announce(`${number(list.total)} signalen gevonden.`);
  });
  byId("filters-wissen").addEventListener("click", async () => {
    clearMessages();
    state.filters = {};
    state.page = 1;
    const list = await load();
    if (list) announce(`Filters gewist: ${number(list.total)} signalen.`);
  });
  for (const [id, step] of [["vorige", -1], ["volgende", 1]]) {
    byId(id).addEventListener("click", async () => {
      state.page += step;
      await load();
      byId("signalen-samenvatting").focus();
    });
  }
  byId("exporteren").addEventListener("click", (event) => exportList(event.currentTarget));
  byId("oppakken").addEventListener("click", (event) => approach(event.currentTarget));
}
