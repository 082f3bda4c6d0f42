// The page's entry: reads the sign-in settings, signs in, and routes between the views by the
// URL's fragment, so the back button works. Each role has its own views and menu items:
// gemeente staff #/signalen, #/signaal/<id>, #/overzicht (coordinator); a supplier #/aanleveren,
// #/leveringen, #/levering/<id>, #/terugkoppeling; an operator #/beheer (runs, deliveries,
// quarantine and the registry, read-only). Another role's view is refused in the page before
// any of its data is asked for.

import * as api from "./api.js";
import { resetBeheer, setUpBeheer, showBeheer } from "./beheer.js";
import { resetCase, showCase } from "./case-detail.js";
import { resetCases, setUpCases, showCases } from "./cases.js";
import { resetDeliveries, showDeliveries, showDelivery } from "./deliveries.js";
import { byId, fill } from "./dom.js";
import { resetFeedback, setUpFeedback, showFeedback } from "./feedback.js";
import { resetOverview, showOverview } from "./overview.js";
import { setUpDdasExport } from "./ddas-export.js";
import { refuse, setUp as setUpSignIn, showSignIn } from "./signin.js";
import { clearMessages, fail, onExpired, session, showView } from "./ui.js";
import { resetUpload, setUpUpload, showUpload } from "./upload.js";

const GEMEENTE = ["coordinator", "wijkteam"];
const ROLE_NAMES = { coordinator: "coördinator", wijkteam: "wijkteam", leverancier: "leverancier", operator: "beheerder" };
// Per view: who may open it, and what opens it (with the id from the fragment, if any).
const ROUTES = {
  signalen: { roles: GEMEENTE, show: () => showCases() },
  signaal: { roles: GEMEENTE, show: (id) => showCase(id), id: /^[0-9a-f]{16}$/ },
  overzicht: { roles: ["coordinator"], show: () => showOverview() },
  aanleveren: { roles: ["leverancier"], show: () => showUpload() },
  leveringen: { roles: ["leverancier"], show: () => showDeliveries() },
  levering: { roles: ["leverancier"], show: (id) => showDelivery(id), id: /^[A-Za-z0-9_-]{1,64}$/ },
  terugkoppeling: { roles: ["leverancier"], show: () => showFeedback() },
  beheer: { roles: ["operator"], show: () => showBeheer() },
};
const HOME = { coordinator: "signalen", wijkteam: "signalen", leverancier: "aanleveren", operator: "beheer" };

/** The view and id a fragment names ("#/levering/<id>"); null for anything else. */
function parse(hash) {
  const found = /^#\/([a-z]+)(?:\/([^/]+))?$/.exec(hash);
  if (!found || !Object.hasOwn(ROUTES, found[1])) return null;
  const [, name, id] = found;
  const route = ROUTES[name];
  if (Boolean(route.id) !== (id !== undefined) || (route.id && !route.id.test(id))) return null;
  return { name, id };
}

function route() {
  if (!api.signedIn()) {
    showSignIn();
    return;
  }
  clearMessages();
  const role = session.me.role;
  const wanted = parse(location.hash) || { name: HOME[role] };
  const target = ROUTES[wanted.name];
  if (!target.roles.includes(role)) {
    byId("geweigerd-terug").setAttribute("href", `#/${HOME[role]}`);
    showView("geweigerd", "Geen toegang");
    return;
  }
  target.show(wanted.id);
}

function showUser(me) {
  const who = me.team ? `, team ${me.team}` : "";
  byId("gebruiker-naam").textContent = `${me.display_name} (${ROLE_NAMES[me.role]}${who})`;
  byId("gebruiker").hidden = false;
  byId("hoofdmenu").hidden = false;
  for (const item of document.querySelectorAll("[data-rollen]")) {
    item.hidden = !item.dataset.rollen.split(" ").includes(me.role);
  }
  for (const element of document.querySelectorAll('[data-rol="coordinator"]')) element.hidden = me.role !== "coordinator";
}

async function signedIn(token) {
  api.setToken(token);
  let me;
  try {
    me = await api.get("api/me");
  } catch (error) {
    signOut();
    fail(error);
    return;
  }
  if (!Object.hasOwn(HOME, me.role)) {
    signOut();
    refuse("Uw account heeft geen rol in Vindplaats. Neem contact op met de beheerder.");
    return;
  }
  session.me = me;
  showUser(me);
  route();
}

/** Forget the token and everything shown with it (contact data, klantnummers, reports included). */
function signOut(message) {
  api.setToken(null);
  session.me = null;
  byId("gebruiker").hidden = true;
  byId("hoofdmenu").hidden = true;
  fill(byId("gebruiker-naam"));
  resetCases();
  resetCase();
  resetOverview();
  resetUpload();
  resetDeliveries();
  resetFeedback();
  resetBeheer();
  clearMessages();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  showSignIn(message);
}

async function start() {
  // The page must sit at its <base> URL (ending in "/"), so "#/..." links stay in this document.
  const base = new URL(document.baseURI);
  if (location.pathname !== base.pathname && `${location.pathname}/` === base.pathname) {
    history.replaceState(null, "", base.pathname + location.search + location.hash);
  }
  byId("naar-inhoud").addEventListener("click", (event) => {
    event.preventDefault();
    byId("inhoud").focus();
  });
  byId("afmelden").addEventListener("click", () => {
    signOut("U bent afgemeld.");
    byId("gebruikersnaam").focus();
  });
  onExpired((message) => signOut(message));
  setUpCases();
  setUpDdasExport();
  setUpFeedback();
  setUpBeheer();
  let config;
  try {
    const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(`config.json: ${response.status}`);
    config = await response.json();
  } catch {
    showSignIn();
    fail(new api.ApiError(0, "config", "De pagina kan de aanmeldgegevens niet laden. Probeer het later opnieuw."));
    return;
  }
  setUpSignIn(config, signedIn);
  setUpUpload(config);
  window.addEventListener("hashchange", route);
  route();
}

start();
