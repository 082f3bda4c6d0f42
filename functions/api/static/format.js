// Dutch formatting of the API's amounts (euros as JSON numbers) and ISO dates.

const EURO = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR" });
const NUMBER = new Intl.NumberFormat("nl-NL");
// ISO dates are calendar days: format them in UTC so no time zone moves them a day.
const DAY = new Intl.DateTimeFormat("nl-NL", { dateStyle: "long", timeZone: "UTC" });
const MONTH = new Intl.DateTimeFormat("nl-NL", { month: "long", year: "numeric", timeZone: "UTC" });
// A moment (an ISO date-time with its offset) as the clock in the Netherlands showed it.
const MOMENT = new Intl.DateTimeFormat("nl-NL", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Amsterdam" });

export function euro(amount) {
  return EURO.format(amount);
}

export function number(value) {
  return NUMBER.format(value);
}

export function day(iso) {
  return iso ? DAY.format(new Date(`${iso}T00:00:00Z`)) : "–";
}

/** "2026-11-03T09:12:00Z" as "3 november 2026 om 10:12" (Dutch time); "–" for none. */
export function moment(iso) {
  return iso ? MOMENT.format(new Date(iso)) : "–";
}

/** "2026-11" as "november 2026". */
export function month(isoMonth) {
  return MONTH.format(new Date(`${isoMonth}-01T00:00:00Z`));
}

export function yesNo(value) {
  return value ? "ja" : "nee";
}

/** The household's address as the API gives it: postcode, number, letter and addition. */
export function address(adres) {
  const number = [adres.huisnummer ?? "", adres.huisletter, adres.toevoeging ? `-${adres.toevoeging}` : ""].join("");
  return `${adres.postcode} ${number}`.trim();
}

/** Today's date in the browser's time zone, as the ISO day an <input type="date"> takes. */
export function today() {
  const now = new Date();
  const pad = (value) => String(value).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const DECIMAL = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 1 });

/** A file size in bytes, KiB or MiB ("3,4 MiB"), as the delivery format states its limit. */
export function bytes(size) {
  if (size < 1024) return `${NUMBER.format(size)} bytes`;
  if (size < 1024 * 1024) return `${DECIMAL.format(size / 1024)} KiB`;
  return `${DECIMAL.format(size / (1024 * 1024))} MiB`;
}

/** An ISO day `days` before today (browser time), e.g. for a "since" field. */
export function daysAgo(days) {
  const then = new Date();
  then.setDate(then.getDate() - days);
  const pad = (value) => String(value).padStart(2, "0");
  return `${then.getFullYear()}-${pad(then.getMonth() + 1)}-${pad(then.getDate())}`;
}
