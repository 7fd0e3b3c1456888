// The collapsed filters panel: type, industry, phase, outcome and the most-used tags (+ "more").
import { el } from "./dom.js";
import { t } from "./i18n.js";

const TOP_TAGS = 8;
const FIELDS = ["doc_type", "industry", "phase", "outcome"];
const $ = (id) => document.getElementById(id);

function option(name, value, count) {
  return el("label", { class: "facet-option" }, el("input", { type: "checkbox", name, value }), ` ${value} `,
    el("span", { class: "count" }, String(count)));
}

/** Fill the panel from /api/filters; fields with no values stay hidden. */
export async function loadFilters(api) {
  const response = await api("/api/filters");
  if (!response.ok) {
    $("tag-filters").replaceChildren(el("span", { class: "muted" }, t("index_unavailable")));
    return;
  }
  const options = await response.json();
  for (const field of ["industry", "phase", "outcome"]) {
    const box = document.querySelector(`fieldset[data-field="${field}"]`);
    box.querySelector(".facet-options").replaceChildren(...options[field].map((f) => option(field, f.value, f.count)));
    box.hidden = !options[field].length;
  }
  const tags = options.tags.map((f, i) => {
    const node = option("tag", f.value, f.count);
    if (i >= TOP_TAGS) node.classList.add("extra-tag");
    return node;
  });
  $("tag-filters").replaceChildren(...tags);
  $("more-tags").hidden = tags.length <= TOP_TAGS;
}

/** The checked filters as the API's FilterModel, or null. */
export function currentFilters() {
  const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]`)].filter((i) => i.checked).map((i) => i.value);
  const filters = {};
  for (const field of FIELDS) {
    const values = checked(field);
    if (values.length) filters[field] = values;
  }
  const tags = checked("tag");
  if (tags.length) filters.tags = tags;
  return Object.keys(filters).length ? filters : null;
}

function showSummary() {
  const f = currentFilters();
  const count = f ? Object.values(f).reduce((n, v) => n + v.length, 0) : 0;
  $("filter-count").hidden = !count;
  $("filter-count").textContent = String(count);
  $("filter-summary").hidden = !f;
  if (f) {
    const parts = Object.entries(f).map(([k, v]) => (k === "tags" ? v.map((x) => `#${x}`).join(" ") : v.join("、")));
    $("filter-summary").textContent = `${t("filtered")}: ${parts.join(" · ")}`;
  }
}

export function initFilters() {
  $("filters").addEventListener("change", showSummary);
  $("more-tags").addEventListener("click", () => {
    const open = $("filters").classList.toggle("all-tags");
    $("more-tags").setAttribute("aria-expanded", String(open));
    $("more-tags").textContent = open ? t("fewer") : t("more");
  });
  $("clear-filters").addEventListener("click", () => {
    for (const input of $("filters").querySelectorAll("input[type=checkbox]")) input.checked = false;
    showSummary();
  });
}
