// The coordinator's DDAS export on the overview: the own gemeente's signals and cases of the
// rounds with a peildatum in the chosen period, in DDAS exchange form 1.2, as a .json download.
// The API writes every export to the audit log.

import * as api from "./api.js";
import { byId, h } from "./dom.js";
import { day, number, today } from "./format.js";
import { announce, fail } from "./ui.js";

function firstOfYear(iso) {
  return `${iso.slice(0, 4)}-01-01`;
}

async function exportDdas(form) {
  const van = form.elements.van.value;
  const tot = form.elements.tot.value;
  if (!van || !tot) {
    fail(new api.ApiError(400, "period_missing", "Kies een begin- en een einddatum voor de export."));
    return;
  }
  const button = byId("ddas-exporteren");
  button.disabled = true;
  try {
    const { blob, filename } = await api.download("api/export/ddas", { van, tot }, `ddas-${van}-${tot}.json`);
    const document_ = JSON.parse(await blob.text());
    const levering = document_.leveringen[0];
    const link = h("a", { href: URL.createObjectURL(blob), download: filename, class: "vp-visually-hidden" }, filename);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    announce(`De DDAS-export van ${day(van)} tot en met ${day(tot)} is gedownload als ${filename}: `
      + `${number(levering.vroegsignaalzaken.length)} zaken, ${number(levering.vroegsignalen.length)} signalen.`);
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
}

export function setUpDdasExport() {
  const form = byId("ddas-export");
  const einde = today();
  form.elements.van.value = firstOfYear(einde);
  form.elements.tot.value = einde;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    exportDdas(form);
  });
}
