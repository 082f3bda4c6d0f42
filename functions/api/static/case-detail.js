// One case: its signals, contact data on request (the API audits every view), and the work on it:
// assign to a wijkteam, mark approached, record contact attempts and the outcome.

import * as api from "./api.js";
import { byId, dataList, fill, h, options, table } from "./dom.js";
import { address, day, euro, number, today, yesNo } from "./format.js";
import { announce, busy, clearMessages, enums, fail, isCoordinator, names, remember, showView } from "./ui.js";

const STATUS_NIEUW = "Nog niet opgepakt";

export async function showCase(id) {
  showView("signaal", "Signaal", { focus: false });
  fill(byId("signaal-inhoud"), h("p", { class: "utrecht-paragraph" }, "Het signaal wordt geladen…"));
  try {
    const [item, values] = await Promise.all([api.get(`api/cases/${id}`), enums()]);
    render(item, values);
    byId("titel-signaal").focus();
  } catch (error) {
    fill(byId("signaal-inhoud"));
    byId("titel-signaal").focus();
    fail(error);
  }
}

export function resetCase() {
  fill(byId("signaal-inhoud"));
}

function section(id, title, ...content) {
  return h("section", { class: "vp-section", "aria-labelledby": `${id}-titel` },
    h("h2", { class: "utrecht-heading-2", id: `${id}-titel`, tabindex: "-1" }, title), ...content);
}

function field(id, label, control, description) {
  const describedBy = description ? `${id}-uitleg` : null;
  if (describedBy) control.setAttribute("aria-describedby", describedBy);
  return h("div", { class: "utrecht-form-field" },
    h("label", { class: "utrecht-form-label utrecht-form-field__label", for: id }, label),
    description ? h("div", { class: "utrecht-form-field-description", id: describedBy }, description) : null,
    control);
}

function select(id, name, allLabel, values, selected) {
  const element = h("select", { class: "utrecht-select utrecht-select--html-select utrecht-form-field__input", id, name, required: true });
  options(element, allLabel, values.map((value) => [value, value]), selected);
  return element;
}

function submit(label) {
  return h("button", { type: "submit", class: "utrecht-button utrecht-button--primary-action utrecht-button--submit" }, label);
}

/** A form that POSTs to the case and shows the case the API returns. */
function caseForm(id, sectionId, body, done, ...content) {
  const form = h("form", { class: "vp-form", id, novalidate: true }, ...content);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    const payload = body(new FormData(form));
    if (!payload) return;
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const item = await api.post(payload.path, payload.body);
        render(item, await enums());
        announce(done(item));
        byId(`${sectionId}-titel`).focus();
      } catch (error) {
        fail(error);
      }
    });
  });
  return form;
}

function invalid(message) {
  fail(new api.ApiError(400, "invalid", message));
  return null;
}

function contactSection(item) {
  const place = h("div", { id: "contactgegevens", tabindex: "-1" });
  const button = h("button", { type: "button", class: "utrecht-button utrecht-button--secondary-action", id: "toon-contact" },
    "Toon contactgegevens");
  button.addEventListener("click", () => busy(button, async () => {
    clearMessages();
    try {
      const contact = await api.get(`api/cases/${item.id}/contact`, { run: item.run });
      const rows = contact.personen.map((persoon) => [
        names.leverancier.get(persoon.leverancier) || persoon.leverancier,
        [persoon.voorletters, persoon.tussenvoegsel, persoon.achternaam].filter(Boolean).join(" ") || "–",
        persoon.straat || "–",
        persoon.woonplaats || "–",
        persoon.telefoon || "–",
        persoon.email || "–",
      ]);
      fill(place, rows.length
        ? table({
          caption: "Contactgegevens zoals de leveranciers ze aanleverden",
          columns: [{ label: "Leverancier", rowHeader: true }, { label: "Naam" }, { label: "Straat" },
            { label: "Woonplaats" }, { label: "Telefoon" }, { label: "E-mail" }],
          rows,
        })
        : h("p", { class: "utrecht-paragraph" }, "De leveranciers gaven geen contactgegevens."));
      button.remove();
      place.focus();
      announce("De contactgegevens worden getoond. Deze inzage is vastgelegd.");
    } catch (error) {
      fail(error);
    }
  }));
  return section("contact", "Contactgegevens",
    h("p", { class: "utrecht-paragraph" },
      "Contactgegevens ziet u alleen als u ze nodig hebt voor contact met het huishouden. Elke inzage wordt vastgelegd."),
    button, place);
}

function assignSection(item) {
  const input = h("input", {
    class: "utrecht-textbox utrecht-textbox--html-input utrecht-form-field__input", id: "team", name: "team",
    type: "text", autocomplete: "off", value: item.team || "", required: true,
  });
  return section("toewijzen", "Toewijzen aan een wijkteam",
    caseForm("form-toewijzen", "toewijzen", (form) => {
      const team = String(form.get("team") || "").trim();
      if (!/^[0-9A-Za-z_.-]{1,64}$/.test(team)) return invalid("Vul de naam van een wijkteam in (letters, cijfers, punt, streepje).");
      return { path: `api/cases/${item.id}/assign`, body: { run: item.run, team } };
    }, (updated) => `Het signaal is toegewezen aan wijkteam ${updated.team}.`,
    field("team", "Wijkteam", input, "Bijvoorbeeld noord of zuid."),
    submit("Toewijzen")));
}

function approachSection(item) {
  const button = h("button", { type: "button", class: "utrecht-button utrecht-button--secondary-action", id: "signaal-oppakken" },
    "Signaal oppakken");
  button.addEventListener("click", () => busy(button, async () => {
    clearMessages();
    try {
      const result = await api.post("api/cases/approach", { run: item.run, case_ids: [item.id] });
      render(await api.get(`api/cases/${item.id}`, { run: item.run }), await enums());
      announce(`Het signaal is opgepakt. De leveranciers pauzeren de incasso tot ${day(result.pause_until)}.`);
      byId("oppakken-titel").focus();
    } catch (error) {
      fail(error);
    }
  }));
  return section("oppakken", "Oppakken",
    h("p", { class: "utrecht-paragraph" }, "Als u het signaal oppakt, horen de leveranciers dat en pauzeren zij de incasso."),
    button);
}

function attemptsSection(item, values) {
  const attempts = item.contactpogingen.length
    ? table({
      caption: "Eerdere contactpogingen",
      columns: [{ label: "Datum", rowHeader: true }, { label: "Dagdeel" }, { label: "Soort" }, { label: "Bereikt" }],
      rows: item.contactpogingen.map((poging) => [day(poging.datum), poging.dagdeel || "–", poging.soort, yesNo(poging.bereikt)]),
    })
    : h("p", { class: "utrecht-paragraph" }, "Er zijn nog geen contactpogingen vastgelegd.");
  const reached = h("fieldset", { class: "utrecht-form-fieldset utrecht-form-fieldset--html-fieldset" },
    h("legend", { class: "utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend" }, "Is het huishouden bereikt?"),
    ["ja", "nee"].map((answer) => h("div", { class: "utrecht-form-field utrecht-form-field--radio" },
      h("input", {
        type: "radio", class: "utrecht-radio-button utrecht-radio-button--html-input utrecht-form-field__input", name: "bereikt",
        id: `bereikt-${answer}`, value: answer, required: true,
      }),
      h("label", { class: "utrecht-form-label utrecht-form-label--radio utrecht-form-field__label", for: `bereikt-${answer}` }, answer === "ja" ? "Ja" : "Nee"))));
  const date = h("input", {
    class: "utrecht-textbox utrecht-textbox--html-input utrecht-form-field__input", id: "poging-datum", name: "datum",
    type: "date", value: today(), max: today(), required: true,
  });
  return section("contactpogingen", "Contactpogingen", attempts,
    caseForm("form-contactpoging", "contactpogingen", (form) => {
      if (!form.get("soort")) return invalid("Kies de soort contact.");
      if (!form.get("bereikt")) return invalid("Geef aan of het huishouden bereikt is.");
      if (!/^\d{4}-\d{2}-\d{2}$/.test(String(form.get("datum")))) return invalid("Vul een geldige datum in.");
      if (!form.get("dagdeel")) return invalid("Kies het dagdeel.");
      return {
        path: `api/cases/${item.id}/contactpogingen`,
        body: { run: item.run, soort: form.get("soort"), bereikt: form.get("bereikt") === "ja",
          datum: form.get("datum"), dagdeel: form.get("dagdeel") },
      };
    }, () => "De contactpoging is vastgelegd.",
    h("h3", { class: "utrecht-heading-3" }, "Nieuwe contactpoging"),
    field("poging-soort", "Soort contact", select("poging-soort", "soort", "Kies een soort", values.soort)),
    reached,
    field("poging-datum", "Datum", date),
    field("poging-dagdeel", "Dagdeel", select("poging-dagdeel", "dagdeel", "Kies een dagdeel", values.dagdeel)),
    submit("Contactpoging vastleggen")));
}

function outcomeSection(item, values) {
  return section("resultaat", "Resultaat",
    h("p", { class: "utrecht-paragraph" },
      item.resultaat ? `Vastgelegd resultaat: ${item.resultaat}.` : "Er is nog geen resultaat vastgelegd."),
    caseForm("form-resultaat", "resultaat", (form) => {
      if (!form.get("resultaat")) return invalid("Kies een resultaat.");
      return { path: `api/cases/${item.id}/resultaat`, body: { run: item.run, resultaat: form.get("resultaat") } };
    }, (updated) => `Het resultaat is vastgelegd: ${updated.resultaat}. De leveranciers krijgen bericht.`,
    field("resultaat-keuze", "Resultaat", select("resultaat-keuze", "resultaat", "Kies een resultaat", values.resultaat, item.resultaat)),
    submit("Resultaat vastleggen")));
}

function render(item, values) {
  remember([item]);
  const title = `Signaal ${address(item.adres)}`;
  byId("titel-signaal").textContent = title;
  document.title = `${title} – Vindplaats`;
  const coordinator = isCoordinator();
  fill(byId("signaal-inhoud"),
    dataList([
      ["Wijk", item.wijk.naam ? `${item.wijk.naam} (${item.wijk.code})` : item.wijk.code],
      ["Buurt", item.buurt.naam ? `${item.buurt.naam} (${item.buurt.code})` : item.buurt.code],
      ["Status", item.status],
      ["Wijkteam", item.team || "nog niet toegewezen"],
      ["Totaal achterstand", euro(item.totaal_bedrag)],
      ["Aantal leveranciers", number(item.aantal_leveranciers)],
      ["Oudste achterstand", day(item.oudste_achterstand)],
      ["Eerder gesignaleerd", yesNo(item.herhaald)],
      ["Crisissignaal", yesNo(item.crisis)],
      ["Peildatum", day(item.as_of)],
      item.approached_on ? ["Opgepakt op", day(item.approached_on)] : null,
      item.pause_until ? ["Incasso gepauzeerd tot", day(item.pause_until)] : null,
    ]),
    section("achterstanden", "Achterstanden",
      table({
        caption: "Achterstanden per leverancier",
        columns: [{ label: "Leverancier", rowHeader: true }, { label: "Soort" }, { label: "Klantnummer" },
          { label: "Bedrag", numeric: true }, { label: "Achterstand sinds" }, { label: "Peildatum" }, { label: "Crisis" }],
        rows: item.signalen.map((signaal) => [signaal.leverancier_naam, signaal.signaaltype, signaal.klantnummer,
          euro(signaal.bedrag), day(signaal.achterstand_sinds), day(signaal.peildatum), yesNo(signaal.crisis)]),
      })),
    contactSection(item),
    coordinator ? assignSection(item) : null,
    coordinator && item.status === STATUS_NIEUW ? approachSection(item) : null,
    attemptsSection(item, values),
    outcomeSection(item, values));
}
