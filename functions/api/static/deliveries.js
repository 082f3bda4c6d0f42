// The supplier's "Leveringen": its earlier deliveries (GET /api/uploads, newest first), the one(s)
// the next matching uses marked, each linking to its report (#/levering/<id>, GET /api/uploads/{id}).

import * as api from "./api.js";
import { byId, fill, h, table } from "./dom.js";
import { day } from "./format.js";
import { COUNT_COLUMNS, countCells, renderReport, STATUS } from "./report.js";
import { alertBox, fail, showView } from "./ui.js";

const NEXT_RUN = "Gebruikt in de volgende matching";

export async function showDeliveries() {
  showView("leveringen", "Leveringen");
  const place = byId("leveringen-inhoud");
  fill(place, h("p", { class: "utrecht-paragraph" }, "De leveringen worden geladen…"));
  try {
    render(await api.get("api/uploads"));
  } catch (error) {
    fill(place);
    fail(error);
  }
}

function render(answer) {
  const place = byId("leveringen-inhoud");
  if (!answer.leveringen.length) {
    fill(place, h("p", { class: "utrecht-paragraph" }, "U heeft nog niets aangeleverd."));
    return;
  }
  const columns = [
    { label: "Bestand", rowHeader: true },
    { label: "Ontvangen" },
    { label: "Status" },
    { label: "Peildatum" },
    ...COUNT_COLUMNS,
    { label: "Volgende matching" },
  ];
  const rows = answer.leveringen.map((item) => [
    h("a", { class: "utrecht-link", href: `#/levering/${encodeURIComponent(item.levering)}` }, item.bestand),
    day(item.ontvangen),
    STATUS[item.status] || item.status,
    day(item.peildatum),
    ...countCells(item.counts),
    item.volgende_run
      ? h("span", { class: "utrecht-status-badge utrecht-status-badge--success" }, NEXT_RUN)
      : "–",
  ]);
  fill(place,
    table({ caption: "Uw leveringen, de nieuwste eerst", columns, rows, id: "leveringen" }),
    answer.truncated
      ? alertBox("info", "Alleen uw nieuwste leveringen staan hier; oudere zijn weggelaten.")
      : null);
}

export async function showDelivery(id) {
  showView("levering", "Levering", { focus: false });
  const place = byId("levering-inhoud");
  byId("titel-levering").textContent = "Levering";
  fill(place, h("p", { class: "utrecht-paragraph" }, "Het rapport wordt geladen…"));
  try {
    const report = await api.get(`api/uploads/${encodeURIComponent(id)}`);
    byId("titel-levering").textContent = `Levering ${report.bestand}`;
    document.title = `Levering ${report.bestand} – Vindplaats`;
    renderReport(place, report, "levering");
  } catch (error) {
    fill(place);
    fail(error);
  }
  byId("titel-levering").focus();
}

export function resetDeliveries() {
  fill(byId("leveringen-inhoud"));
  fill(byId("levering-inhoud"));
  byId("titel-levering").textContent = "Levering";
}
