// The page's entry: reads the sign-in settings, signs in, and routes between the views by the
// URL's fragment (#/signalen, #/signaal/<id>, #/overzicht), so the back button works.

import * as api from "./api.js";
import { resetCase, showCase } from "./case-detail.js";
import { resetCases, setUpCases, showCases } from "./cases.js";
import { byId, fill } from "./dom.js";
import { resetOverview, showOverview } from "./overview.js";
import { setUpDdasExport } from "./ddas-export.js";
import { refuse, setUp as setUpSignIn, showSignIn } from "./signin.js";
import { clearMessages, fail, isCoordinator, onExpired, session } from "./ui.js";

const GEMEENTE_ROLES = ["coordinator", "wijkteam"];
const ROLE_NAMES = { coordinator: "coördinator", wijkteam: "wijkteam" };
const CASE_ROUTE = /^#\/signaal\/([0-9a-f]{16})$/;

function route() {
  if (!api.signedIn()) {
    showSignIn();
    return;
  }
  clearMessages();
  const found = CASE_ROUTE.exec(location.hash);
  if (found) showCase(found[1]);
  else if (location.hash === "#/overzicht" && isCoordinator()) showOverview();
  else showCases();
}

function showUser(me) {
  const team = me.team ? `, team ${me.team}` : "";
  byId("gebruiker-naam").textContent = `${me.display_name} (${ROLE_NAMES[me.role]}${team})`;
  byId("gebruiker").hidden = false;
  byId("hoofdmenu").hidden = false;
  byId("menu-overzicht").hidden = me.role !== "coordinator";
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
  if (!GEMEENTE_ROLES.includes(me.role)) {
    signOut();
    refuse("Deze pagina is voor medewerkers van de gemeente en de wijkteams. Uw account heeft hier geen toegang.");
    return;
  }
  session.me = me;
  showUser(me);
  route();
}

/** Forget the token and everything shown with it (contact data included). */
function signOut(message) {
  api.setToken(null);
  session.me = null;
  byId("gebruiker").hidden = true;
  byId("hoofdmenu").hidden = true;
  fill(byId("gebruiker-naam"));
  resetCases();
  resetCase();
  resetOverview();
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
  window.addEventListener("hashchange", route);
  route();
}

start();
