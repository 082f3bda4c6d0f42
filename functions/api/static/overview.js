// The coordinator's overview: counts per wijk and per month as charts with tables, and per status
// and outcome as tables, from /api/stats (small counts arrive suppressed and stay so).

import * as api from "./api.js";
import { barChart } from "./charts.js";
import { byId, fill, h, table } from "./dom.js";
import { day, month, number } from "./format.js";
import { fail, showView, wijkLabel } from "./ui.js";

function entries(counts, label) {
  return Object.entries(counts).map(([key, value]) => ({ label: label(key), count: value.count, suppressed: value.suppressed }));
}

function shown(value, threshold) {
  return value.suppressed ? `minder dan ${threshold}` : number(value.count);
}

function countTable(caption, header, counts, threshold) {
  const rows = Object.entries(counts).map(([key, value]) => [key, shown(value, threshold)]);
  if (!rows.length) return h("p", { class: "utrecht-paragraph" }, `${caption}: nog geen.`);
  return table({ caption, columns: [{ label: header, rowHeader: true }, { label: "Aantal signalen", numeric: true }], rows });
}

export async function showOverview() {
  showView("overzicht", "Overzicht");
  const place = byId("overzicht-inhoud");
  fill(place, h("p", { class: "utrecht-paragraph" }, "Het overzicht wordt geladen…"));
  try {
    const stats = await api.get("api/stats");
    if (!stats.run) {
      fill(place, h("p", { class: "utrecht-paragraph" }, "Er is nog geen matchingsronde gepubliceerd voor uw gemeente."));
      return;
    }
    const threshold = stats.threshold;
    const wijken = entries(stats.wijk, wijkLabel).sort((a, b) => a.label.localeCompare(b.label, "nl"));
    const maanden = entries(stats.maand, month);
    fill(place,
      h("p", { class: "utrecht-paragraph" },
        `Ronde met peildatum ${day(stats.as_of)}: ${shown(stats.total, threshold)} signalen. `
        + `Aantallen onder de ${threshold} tonen we niet, omdat ze naar een huishouden kunnen wijzen.`),
      h("div", { class: "vp-charts" },
        barChart({ id: "grafiek-wijk", title: "Signalen per wijk", entries: wijken, threshold, labelHeader: "Wijk" }),
        barChart({ id: "grafiek-maand", title: "Signalen per maand", entries: maanden, threshold, labelHeader: "Maand" })),
      h("h2", { class: "utrecht-heading-2" }, "Status en resultaat"),
      countTable("Signalen per status", "Status", stats.status, threshold),
      countTable("Signalen per resultaat", "Resultaat", stats.resultaat, threshold),
      countTable("Signalen per soort achterstand", "Soort achterstand", stats.signaaltype, threshold));
  } catch (error) {
    fill(place);
    fail(error);
  }
}

export function resetOverview() {
  fill(byId("overzicht-inhoud"));
}
