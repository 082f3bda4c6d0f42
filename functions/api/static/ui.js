// What the views share: the signed-in user, switching views (title, focus), messages, and the
// names the API gives only inside cases (wijk and leverancier names for the filters and charts).

import { ApiError, get } from "./api.js";
import { byId, fill, h } from "./dom.js";

export const VIEWS = [
  "aanmelden", "signalen", "signaal", "overzicht",
  "aanleveren", "leveringen", "levering", "terugkoppeling", "beheer", "geweigerd",
];
export const session = { me: null };
export const names = { wijk: new Map(), leverancier: new Map() };

let expired = () => {};
let openapi = null;

export function isCoordinator() {
  return session.me?.role === "coordinator";
}

/** Show one view, title the document after it and, on navigation, move focus to its heading. */
export function showView(name, title, { focus = true } = {}) {
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  document.title = `${title} – Vindplaats`;
  for (const link of document.querySelectorAll("[data-route]")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  fill(byId("fout"));
  if (focus) byId(`titel-${name}`).focus();
}

export function alertBox(kind, ...content) {
  return h("div", { class: `utrecht-alert utrecht-alert--${kind}` },
    h("div", { class: "utrecht-alert__content" }, h("p", { class: "utrecht-alert__message utrecht-paragraph" }, ...content)));
}

/** A polite message in the status region (screen readers read it without losing their place). */
export function announce(text) {
  fill(byId("melding"), text ? alertBox("ok", text) : null);
}

export function clearMessages() {
  fill(byId("melding"));
  fill(byId("fout"));
}

/** Show an API failure; an expired or missing sign-in goes back to the sign-in form. */
export function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    expired("Uw aanmelding is verlopen. Meld u opnieuw aan.");
    return;
  }
  fill(byId("melding"));
  const message = error instanceof ApiError ? error.message : "Er ging iets mis op deze pagina. Laad de pagina opnieuw.";
  fill(byId("fout"), alertBox("error", message));
  if (!(error instanceof ApiError)) console.error(error); // a bug of the page, not of the user
}

export function onExpired(callback) {
  expired = callback;
}

/** Remember the names that come with cases, so filters and charts can show more than codes. */
export function remember(cases) {
  for (const item of cases) {
    if (item.wijk.naam) names.wijk.set(item.wijk.code, item.wijk.naam);
    for (const signaal of item.signalen) names.leverancier.set(signaal.leverancier, signaal.leverancier_naam);
  }
}

export function wijkLabel(code) {
  const naam = names.wijk.get(code);
  return naam ? `${naam} (${code})` : code;
}

/** The API's own OpenAPI document, read once: its value lists and limits are the page's. */
async function schemas() {
  if (!openapi) openapi = await get("api/openapi.json");
  return openapi.components.schemas;
}

/** The DDAS value lists (contact kinds, day parts, outcomes) from the API's own OpenAPI document. */
export async function enums() {
  const found = await schemas();
  const contact = found.ContactpogingRequest.properties;
  return {
    soort: contact.soort.enum,
    dagdeel: contact.dagdeel.enum,
    resultaat: found.ResultaatRequest.properties.resultaat.enum,
  };
}

/** What `POST /api/uploads` accepts: the largest file in bytes and the longest file name. */
export async function uploadLimits() {
  const request = (await schemas()).UploadRequest.properties;
  return { maxBytes: request.size.maximum, maxName: request.filename.maxLength };
}

/** Run `work` once at a time per button, so a double click sends nothing twice. The button keeps
 * its focus (aria-disabled, not disabled: a disabled button drops a keyboard user's focus). */
export async function busy(button, work) {
  if (button.getAttribute("aria-disabled") === "true") return undefined;
  button.setAttribute("aria-disabled", "true");
  try {
    return await work();
  } finally {
    button.removeAttribute("aria-disabled");
  }
}
