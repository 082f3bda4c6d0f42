// Sign-in with Cognito's JSON API (InitiateAuth USER_PASSWORD_AUTH), straight from the browser to
// the endpoint in config.json; the app client has no secret. Challenges Cognito may send back:
// a new password (a user an operator created), an authenticator code, or setting one up.

const TARGET = "AWSCognitoIdentityProviderService.";

const MESSAGES = {
  NotAuthorizedException: "De gebruikersnaam of het wachtwoord is onjuist.",
  UserNotFoundException: "De gebruikersnaam of het wachtwoord is onjuist.",
  UserNotConfirmedException: "Dit account is nog niet geactiveerd. Neem contact op met de beheerder.",
  PasswordResetRequiredException: "Uw wachtwoord moet opnieuw worden ingesteld. Neem contact op met de beheerder.",
  CodeMismatchException: "De code is onjuist. Probeer het opnieuw met de code die uw app nu toont.",
  ExpiredCodeException: "De code is verlopen. Probeer het opnieuw met een nieuwe code.",
  EnableSoftwareTokenMFAException: "De code is onjuist. Probeer het opnieuw met de code die uw app nu toont.",
  InvalidPasswordException:
    "Het nieuwe wachtwoord voldoet niet aan de eisen: minstens 14 tekens, met hoofdletters, kleine letters, cijfers en leestekens.",
  TooManyRequestsException: "Te veel pogingen. Wacht even en probeer het dan opnieuw.",
  LimitExceededException: "Te veel pogingen. Wacht even en probeer het dan opnieuw.",
  TooManyFailedAttemptsException: "Te veel mislukte pogingen. Wacht even en probeer het dan opnieuw.",
};
const UNAVAILABLE = "Aanmelden lukt nu niet: de aanmeldservice is niet bereikbaar. Probeer het later opnieuw.";
const SESSION_EXPIRED = "De aanmeldsessie is verlopen. Begin opnieuw met uw gebruikersnaam en wachtwoord.";

export class SignInError extends Error {
  constructor(message, restart = false) {
    super(message);
    this.restart = restart; // the user must start again with username and password
  }
}

async function call(config, action, body) {
  let response;
  try {
    response = await fetch(`${config.cognito_endpoint}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + action },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new SignInError(UNAVAILABLE);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || "").split("#").pop();
    if (type === "NotAuthorizedException" && /session/i.test(String(data.message))) {
      throw new SignInError(SESSION_EXPIRED, true);
    }
    throw new SignInError(MESSAGES[type] || UNAVAILABLE);
  }
  return data;
}

/** The next step after a Cognito answer: {token} when signed in, else {challenge, session, username}. */
function step(data, username) {
  if (data.AuthenticationResult) return { token: data.AuthenticationResult.IdToken };
  const known = ["NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA", "MFA_SETUP"];
  if (!known.includes(data.ChallengeName)) {
    throw new SignInError("Aanmelden op deze manier wordt niet ondersteund. Neem contact op met de beheerder.", true);
  }
  return { challenge: data.ChallengeName, session: data.Session, username };
}

export async function signIn(config, username, password) {
  const data = await call(config, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.client_id,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return step(data, username);
}

async function respond(config, current, name, responses, session = current.session) {
  const data = await call(config, "RespondToAuthChallenge", {
    ClientId: config.client_id,
    ChallengeName: name,
    Session: session,
    ChallengeResponses: { USERNAME: current.username, ...responses },
  });
  return step(data, current.username);
}

export function newPassword(config, current, password) {
  return respond(config, current, "NEW_PASSWORD_REQUIRED", { NEW_PASSWORD: password });
}

export function mfaCode(config, current, code) {
  return respond(config, current, "SOFTWARE_TOKEN_MFA", { SOFTWARE_TOKEN_MFA_CODE: code });
}

/** For MFA_SETUP: the secret to enter in an authenticator app, and the session to verify it with. */
export async function mfaSecret(config, current) {
  const data = await call(config, "AssociateSoftwareToken", { Session: current.session });
  return { ...current, session: data.Session, secret: data.SecretCode };
}

export async function mfaSetup(config, current, code) {
  const data = await call(config, "VerifySoftwareToken", {
    Session: current.session, UserCode: code, FriendlyDeviceName: "vindplaats",
  });
  if (data.Status !== "SUCCESS") throw new SignInError(MESSAGES.CodeMismatchException);
  return respond(config, current, "MFA_SETUP", {}, data.Session);
}
