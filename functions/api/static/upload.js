// The supplier's "Aanleveren": choose or drop a CSV, check it here (type, size), ask the API for a
// presigned POST (POST /api/uploads), send the file straight to the upload bucket with progress
// and a cancel button, then ask for the report (GET /api/uploads/{id}) until ingest wrote it.

import * as api from "./api.js";
import { byId, fill, h } from "./dom.js";
import { bytes } from "./format.js";
import { renderReport, STATUS } from "./report.js";
import { announce, busy, clearMessages, fail, showView, uploadLimits } from "./ui.js";

// What the API accepts unless its OpenAPI document says otherwise (chalicelib/domain/upload.py).
const DEFAULT_LIMITS = { maxBytes: 512 * 1024 * 1024, maxName: 200 };
// Polling for the report: 404 `delivery_pending` means "not processed yet" (not a refusal); the
// waits grow all the same, and the page gives up after ten minutes.
const FIRST_WAIT_MS = 2_000;
const LONGEST_WAIT_MS = 60_000;
const GIVE_UP_MS = 10 * 60_000;

const state = { file: null, xhr: null, timer: null, round: 0, limits: DEFAULT_LIMITS, uploadOrigin: null };

export async function showUpload() {
  showView("aanleveren", "Aanleveren");
  try {
    state.limits = await uploadLimits();
    byId("bestand-max").textContent = bytes(state.limits.maxBytes);
  } catch (error) {
    fail(error);
  }
}

/** Stop whatever is under way and forget the file and the report (sign-out). */
export function resetUpload() {
  state.round += 1; // a poll or upload of an earlier round finds it is over
  if (state.xhr) state.xhr.abort();
  state.xhr = null;
  clearTimeout(state.timer);
  state.file = null;
  byId("form-aanleveren").reset();
  fieldError(null);
  fill(byId("bestand-gekozen"));
  byId("upload-voortgang").hidden = true;
  fill(byId("upload-resultaat"));
}

function fieldError(message) {
  const input = byId("bestand");
  byId("bestand-fout").textContent = message || "";
  if (message) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } else {
    input.removeAttribute("aria-invalid");
  }
}

function choose(file) {
  state.file = file || null;
  fieldError(null);
  byId("bestand-gekozen").textContent = file ? `Gekozen: ${file.name} (${bytes(file.size)})` : "";
}

/** The Dutch reason a file cannot be sent, or null. */
function refusal(file) {
  if (!file) return "Kies eerst een CSV-bestand.";
  if (!/\.csv$/i.test(file.name)) return "Alleen CSV-bestanden (.csv) kunnen worden aangeleverd.";
  if (file.size === 0) return "Het bestand is leeg.";
  if (file.size > state.limits.maxBytes) {
    return `Het bestand is ${bytes(file.size)}; een levering is ten hoogste ${bytes(state.limits.maxBytes)}.`;
  }
  if (file.name.length > state.limits.maxName) {
    return `De bestandsnaam is langer dan ${state.limits.maxName} tekens; geef het bestand een kortere naam.`;
  }
  return null;
}

/** S3's refusal of the POST, in Dutch (S3 answers in XML with a code). */
function storageRefusal(xhr) {
  const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "")?.[1];
  if (code === "EntityTooLarge") return "Het bestand is groter dan bij de aanvraag van de upload. Probeer het opnieuw.";
  if (code === "AccessDenied" || code === "ExpiredToken") {
    return "De toestemming om te verzenden is verlopen of ongeldig. Probeer het opnieuw.";
  }
  return "Het verzenden is mislukt. Probeer het opnieuw; blijft het mislukken, neem dan contact op met de beheerder.";
}

function progress(sent, total) {
  const bar = byId("upload-balk");
  bar.max = total;
  bar.value = sent;
  const percent = total ? Math.floor((sent / total) * 100) : 0;
  byId("upload-tekst").textContent = `${percent}% verzonden (${bytes(sent)} van ${bytes(total)}).`;
}

/** POST the file to the presigned URL: the ticket's fields first, the file last. */
function send(ticket, file, round) {
  return new Promise((resolve) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    state.xhr = xhr;
    xhr.upload.addEventListener("progress", (event) => {
      if (round === state.round) progress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener("load", () => resolve(xhr.status >= 200 && xhr.status < 300 ? "sent" : storageRefusal(xhr)));
    xhr.addEventListener("error", () => resolve(
      "Het verzenden is mislukt: de opslag is niet bereikbaar. Controleer de verbinding en probeer het opnieuw."));
    xhr.addEventListener("abort", () => resolve("aborted"));
    xhr.open("POST", ticket.url);
    xhr.send(form);
  });
}

async function deliver(button) {
  clearMessages();
  const file = state.file;
  const reason = refusal(file);
  if (reason) {
    fieldError(reason);
    return;
  }
  await busy(button, async () => {
    let ticket;
    try {
      ticket = await api.post("api/uploads", { filename: file.name, size: file.size });
    } catch (error) {
      fail(error);
      return;
    }
    if (state.uploadOrigin && new URL(ticket.url).origin !== state.uploadOrigin) {
      fail(new api.ApiError(0, "upload_origin", "Het adres om naar te verzenden is onbekend; er is niets verzonden."));
      return;
    }
    state.round += 1;
    const round = state.round;
    fill(byId("upload-resultaat"));
    byId("upload-label").textContent = `Verzenden van ${file.name}`;
    progress(0, file.size);
    byId("upload-voortgang").hidden = false;
    byId("annuleren").focus();
    announce(`${file.name} wordt verzonden.`);
    const outcome = await send(ticket, file, round);
    state.xhr = null;
    if (round !== state.round) return;
    byId("upload-voortgang").hidden = true;
    if (outcome === "aborted") {
      announce("Het verzenden is geannuleerd. Er is niets aangeleverd.");
      byId("bestand").focus();
      return;
    }
    if (outcome !== "sent") {
      fail(new api.ApiError(0, "upload_failed", outcome));
      byId("bestand").focus();
      return;
    }
    waitForReport(ticket.levering, file.name, round);
  });
}

/** After the upload: a heading that takes focus, and the report once ingest has written it. */
function waitForReport(levering, name, round) {
  const heading = h("h2", { class: "utrecht-heading-2", id: "upload-resultaat-titel", tabindex: "-1" }, `Controle van ${name}`);
  const body = h("div", { id: "upload-rapport" },
    h("p", { class: "utrecht-paragraph" }, "Het bestand is verzonden. Vindplaats controleert het nu; het rapport verschijnt hier."));
  fill(byId("upload-resultaat"), heading, body);
  byId("form-aanleveren").reset();
  choose(null);
  heading.focus();
  announce(`${name} is verzonden en wordt gecontroleerd.`);
  const started = Date.now();
  let wait = FIRST_WAIT_MS;
  const poll = async () => {
    if (round !== state.round) return;
    try {
      const report = await api.get(`api/uploads/${encodeURIComponent(levering)}`);
      if (round !== state.round) return;
      const holder = h("div", {});
      fill(body,
        h("p", { class: "utrecht-paragraph" },
          h("a", { class: "utrecht-link", href: `#/levering/${levering}` }, "Deze levering bij uw leveringen")),
        holder);
      renderReport(holder, report, "upload", 3);
      if (!byId("view-aanleveren").hidden) {
        announce(`Het rapport van ${name} is er: ${STATUS[report.status] || report.status}.`);
      }
    } catch (error) {
      if (round !== state.round) return;
      if (error instanceof api.ApiError && error.status === 404 && Date.now() - started < GIVE_UP_MS) {
        state.timer = setTimeout(poll, wait);
        wait = Math.min(wait * 2, LONGEST_WAIT_MS);
        return;
      }
      if (error instanceof api.ApiError && error.status === 404) {
        fill(body, h("p", { class: "utrecht-paragraph" },
          "Het rapport is er na tien minuten nog niet. U vindt het later bij Leveringen."));
        return;
      }
      fail(error);
    }
  };
  state.timer = setTimeout(poll, wait);
  wait *= 2;
}

/** Wire the form, the drop zone and the cancel button; `config.upload_origin` is where a
 * presigned POST may go (the page's CSP allows no other). */
export function setUpUpload(config) {
  state.uploadOrigin = config.upload_origin || null;
  const input = byId("bestand");
  const zone = byId("dropzone");
  input.addEventListener("change", () => choose(input.files[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("vp-dropzone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("vp-dropzone--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("vp-dropzone--over");
    const file = event.dataTransfer.files[0];
    if (file) {
      input.files = event.dataTransfer.files;
      choose(file);
      announce(`Gekozen: ${file.name}.`);
    }
  });
  byId("form-aanleveren").addEventListener("submit", (event) => {
    event.preventDefault();
    deliver(byId("verzenden"));
  });
  byId("annuleren").addEventListener("click", () => {
    if (state.xhr) state.xhr.abort();
  });
}
