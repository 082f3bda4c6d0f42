// The sign-in view: username and password, then whatever step Cognito asks for next.

import * as auth from "./auth.js";
import { byId, fill } from "./dom.js";
import { alertBox, busy, showView } from "./ui.js";

const FORMS = ["form-aanmelden", "form-code", "form-mfa-instellen", "form-nieuw-wachtwoord"];
const FIRST_FIELD = {
  "form-aanmelden": "gebruikersnaam",
  "form-code": "code",
  "form-mfa-instellen": "mfa-code",
  "form-nieuw-wachtwoord": "nieuw-wachtwoord",
};

let config = null;
let current = null; // the challenge Cognito asked for, with its session
let signedIn = () => {};

function showForm(id, { focus = true } = {}) {
  for (const form of FORMS) byId(form).hidden = form !== id;
  if (focus) byId(FIRST_FIELD[id]).focus();
}

function error(message, field) {
  fill(byId("aanmelden-fout"), message ? alertBox("error", message) : null);
  for (const input of document.querySelectorAll("#view-aanmelden input")) input.removeAttribute("aria-invalid");
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

/** Show the sign-in form, empty, with an optional message (e.g. "signed out"). */
export function showSignIn(message) {
  current = null;
  for (const form of FORMS) byId(form).reset();
  fill(byId("mfa-sleutel"));
  showView("aanmelden", "Aanmelden", { focus: false });
  error(null);
  if (message) fill(byId("aanmelden-fout"), alertBox("info", message));
  showForm("form-aanmelden", { focus: false });
}

async function advance(step) {
  current = null;
  if (step.token) {
    for (const form of FORMS) byId(form).reset();
    await signedIn(step.token);
    return;
  }
  current = step;
  error(null);
  if (step.challenge === "NEW_PASSWORD_REQUIRED") {
    byId("nieuw-gebruikersnaam").value = step.username; // for password managers
    showForm("form-nieuw-wachtwoord");
  }
  else if (step.challenge === "SOFTWARE_TOKEN_MFA") showForm("form-code");
  else {
    current = await auth.mfaSecret(config, step);
    byId("mfa-sleutel").textContent = current.secret;
    showForm("form-mfa-instellen");
  }
}

function attempt(form, work) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    await busy(button, async () => {
      try {
        await work();
      } catch (failure) {
        if (!(failure instanceof auth.SignInError)) throw failure;
        if (failure.restart) {
          showSignIn();
          error(failure.message, byId("gebruikersnaam"));
        } else {
          const field = form.querySelector("input[type=password], input[inputmode=numeric]");
          if (field && form.id === "form-aanmelden") field.value = "";
          error(failure.message, field);
        }
      }
    });
  });
}

/** Wire the forms; `onSignedIn(idToken)` runs once Cognito has signed the user in. */
export function setUp(signInConfig, onSignedIn) {
  config = signInConfig;
  signedIn = onSignedIn;

  attempt(byId("form-aanmelden"), async () => {
    const username = byId("gebruikersnaam");
    const password = byId("wachtwoord");
    if (!username.value.trim()) return error("Vul uw gebruikersnaam in.", username);
    if (!password.value) return error("Vul uw wachtwoord in.", password);
    await advance(await auth.signIn(config, username.value.trim(), password.value));
  });

  attempt(byId("form-code"), async () => {
    const code = byId("code");
    if (!/^\d{6}$/.test(code.value.trim())) return error("Vul de zes cijfers uit uw authenticator-app in.", code);
    await advance(await auth.mfaCode(config, current, code.value.trim()));
  });

  attempt(byId("form-mfa-instellen"), async () => {
    const code = byId("mfa-code");
    if (!/^\d{6}$/.test(code.value.trim())) return error("Vul de zes cijfers uit uw authenticator-app in.", code);
    await advance(await auth.mfaSetup(config, current, code.value.trim()));
  });

  attempt(byId("form-nieuw-wachtwoord"), async () => {
    const first = byId("nieuw-wachtwoord");
    const again = byId("herhaal-wachtwoord");
    if (!first.value) return error("Vul een nieuw wachtwoord in.", first);
    if (first.value !== again.value) return error("De twee wachtwoorden zijn niet gelijk.", again);
    await advance(await auth.newPassword(config, current, first.value));
  });
}

/** Show a refusal after Cognito accepted the user (e.g. a supplier account on this page). */
export function refuse(message) {
  showSignIn();
  error(message, byId("gebruikersnaam"));
}
