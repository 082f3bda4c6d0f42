// The vindplaats API on this origin. The ID token lives in memory only (never in localStorage),
// so it ends with the tab; it goes out as a Bearer header and never in a URL.

const GENERIC = "Er ging iets mis. Probeer het later opnieuw.";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let token = null;

export function setToken(value) {
  token = value;
}

export function signedIn() {
  return token !== null;
}

function url(path, query) {
  const target = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== "" && value !== null && value !== undefined) target.searchParams.set(name, value);
  }
  return target;
}

async function send(method, path, { query, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "De server is niet bereikbaar. Controleer de verbinding en probeer het opnieuw.");
  }
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const error = data.error || {};
    throw new ApiError(response.status, error.code || "error", error.message || GENERIC);
  }
  return response;
}

export async function get(path, query) {
  return (await send("GET", path, { query })).json();
}

export async function post(path, body) {
  return (await send("POST", path, { body })).json();
}

/** A file download (the CSV export): {blob, filename} from the response. */
export async function download(path, query, fallbackName) {
  const response = await send("GET", path, { query });
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  return { blob: await response.blob(), filename: match ? match[1] : fallbackName };
}
