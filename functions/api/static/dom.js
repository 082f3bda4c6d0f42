// Builds DOM with textContent and attributes only: the CSP's Trusted Types rule refuses HTML strings.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h("p", {class: "x"}, "text", h("strong", {}, "more")). */
export function h(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** An SVG element, as `h`. */
export function s(tag, attributes, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

export function byId(id) {
  return document.getElementById(id);
}

/** Replace the children of `element` with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  return build(element, {}, children);
}

/** Options of a <select>: [value, label] pairs after a first "all" option. */
export function options(select, allLabel, pairs, selected) {
  const items = allLabel === null ? [] : [h("option", { value: "" }, allLabel)];
  for (const [value, label] of pairs) {
    items.push(h("option", { value, selected: value === selected }, label));
  }
  select.replaceChildren(...items);
}

/**
 * A table in the NL Design System's classes, with a caption and header cells scoped to columns.
 * `scrollable`: a wide table without links, whose container a keyboard must reach to scroll it
 * (a focusable region named by the caption); `id` is then required.
 */
export function table({ caption, columns, rows, id, scrollable = false }) {
  const head = h("thead", { class: "utrecht-table__header" },
    h("tr", { class: "utrecht-table__row" },
      columns.map((column) => h("th", {
        scope: "col",
        class: `utrecht-table__header-cell${column.numeric ? " utrecht-table__header-cell--numeric-column" : ""}`,
      }, column.label))));
  const body = h("tbody", { class: "utrecht-table__body" },
    rows.map((row) => h("tr", { class: "utrecht-table__row" },
      row.map((cell, index) => {
        const numeric = columns[index].numeric ? " utrecht-table__cell--numeric-data" : "";
        if (columns[index].rowHeader) {
          return h("th", { scope: "row", class: `utrecht-table__header-cell${numeric}` }, cell);
        }
        return h("td", { class: `utrecht-table__cell${numeric}` }, cell);
      }))));
  const region = scrollable ? { tabindex: 0, role: "region", "aria-labelledby": `${id}-caption` } : {};
  return h("div", { class: "utrecht-table-container utrecht-table-container--overflow-inline vp-table-container", ...region },
    h("table", { class: "utrecht-table utrecht-table--html-table", id },
      h("caption", { class: "utrecht-table__caption", id: scrollable ? `${id}-caption` : null }, caption), head, body));
}

/** A list of terms and values in the NL Design System's data list. */
export function dataList(pairs) {
  return h("dl", { class: "utrecht-data-list utrecht-data-list--rows vp-data-list" },
    pairs.filter(Boolean).map(([key, value]) => h("div", { class: "utrecht-data-list__item" },
      h("dt", { class: "utrecht-data-list__item-key" }, key),
      h("dd", { class: "utrecht-data-list__item-value utrecht-data-list__item-value--html-dd" }, value))));
}
