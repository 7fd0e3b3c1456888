// The source panel: a cited document rendered from Markdown, passage (and quoted sentence) highlighted.
import { el, errorDetail, safeUrl, typeLabel } from "./dom.js";
import { t } from "./i18n.js";
import { sectionPath } from "./render.js";

let returnFocus = null;

function spanParams(citation, sentence) {
  const params = new URLSearchParams({ start: citation.start, end: citation.end });
  if (sentence) {
    params.set("sentence_start", sentence.start);
    params.set("sentence_end", sentence.end);
  }
  return params;
}

/** The source page of a citation (the quoted sentence marked when given), as the server's links write it. */
export function sourcePage(citation, sentence) {
  return `/sources/${encodeURIComponent(citation.doc_id)}?${spanParams(citation, sentence)}`;
}

async function fetchView(citation, sentence) {
  const params = spanParams(citation, sentence);
  const response = await fetch(`/api/documents/${encodeURIComponent(citation.doc_id)}/view?${params}`);
  if (!response.ok) throw new Error(await errorDetail(response));
  return response.json();
}

function metaLine(citation, view) {
  const meta = view.metadata || {};
  const source = citation.source || meta.source || meta.author;
  const date = citation.published || meta.published || meta.date;
  const parts = [];
  if (source) parts.push(el("span", { class: "doc-source" }, source));
  if (meta.author && meta.author !== source) parts.push(el("span", { class: "doc-author" }, meta.author));
  if (date) parts.push(el("time", { class: "doc-date" }, String(date)));
  if (citation.doc_type) parts.push(el("span", { class: "badge" }, typeLabel(citation.doc_type)));
  const path = sectionPath(citation);
  if (path.length) parts.push(el("span", { class: "doc-section" }, path.join(" › ")));
  for (const tag of Array.isArray(meta.tags) ? meta.tags : []) parts.push(el("span", { class: "tag" }, tag));
  return parts;
}

function links(citation, view, sentence) {
  const parts = [];
  const url = safeUrl(citation.url || (view.metadata || {}).url);
  if (url) {
    parts.push(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "doc-link" }, t("open_original")));
  }
  parts.push(el("a", { href: sourcePage(citation, sentence), target: "_blank", class: "page-link" }, t("open_page")));
  return parts;
}

/** Open the panel on citation; sentence ({start, end}) is the quoted sentence inside it, if known. */
export async function openSource(citation, sentence, trigger) {
  const panel = document.getElementById("source-panel");
  const title = document.getElementById("source-title");
  const textBox = document.getElementById("source-text");
  returnFocus = trigger || null;
  document.querySelectorAll(".cite.active, .source-item.active").forEach((b) => b.classList.remove("active"));
  if (trigger) trigger.classList.add("active");
  title.textContent = `[${citation.n}] ${citation.display_title || citation.title || citation.doc_id}`;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  panel.dataset.state = "loading";
  textBox.replaceChildren(el("p", { class: "muted" }, t("loading")));
  try {
    const view = await fetchView(citation, sentence);
    document.getElementById("source-meta").replaceChildren(...metaLine(citation, view));
    document.getElementById("source-links").replaceChildren(...links(citation, view, sentence));
    // Rendered by the server with markdown-it, raw HTML disabled: all document text arrives escaped.
    textBox.replaceChildren(...new DOMParser().parseFromString(view.html, "text/html").body.childNodes);
    panel.dataset.docId = citation.doc_id;
    panel.dataset.state = "ready";
    const target = textBox.querySelector("#cited-sentence") || textBox.querySelector("#cited");
    if (target) target.scrollIntoView({ block: "center" });
  } catch (error) {
    panel.dataset.state = "error";
    textBox.replaceChildren(el("p", { class: "error" }, `${t("load_failed")}: ${error.message}`));
  }
  title.focus({ preventScroll: true });
}

/** Close the panel and give focus back to the citation that opened it. */
export function closeSource() {
  const panel = document.getElementById("source-panel");
  if (panel.hidden) return;
  panel.hidden = true;
  document.body.classList.remove("panel-open");
  if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
}
