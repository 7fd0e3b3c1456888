// The source panel: a cited document with the passage (and quoted sentence) highlighted.
import { el, safeUrl, typeLabel } from "./dom.js";
import { renderDocument } from "./render.js";

const documents = new Map();
let returnFocus = null;

async function fetchDocument(docId) {
  if (!documents.has(docId)) {
    const response = await fetch(`/api/documents/${encodeURIComponent(docId)}`);
    if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
    documents.set(docId, await response.json());
  }
  return documents.get(docId);
}

function metaLine(citation, doc) {
  const meta = doc.metadata || {};
  const source = citation.source || meta.source || meta.author;
  const date = citation.published || meta.published || meta.date;
  const parts = [];
  if (source) parts.push(el("span", { class: "doc-source" }, source));
  if (meta.author && meta.author !== source) parts.push(el("span", { class: "doc-author" }, meta.author));
  if (date) parts.push(el("time", { class: "doc-date" }, String(date)));
  if (citation.doc_type) parts.push(el("span", { class: "badge" }, typeLabel(citation.doc_type)));
  if (citation.section) parts.push(el("span", { class: "doc-section" }, citation.section));
  return parts;
}

function links(citation, doc) {
  const parts = [];
  const url = safeUrl(citation.url || (doc.metadata || {}).url);
  if (url) {
    parts.push(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "doc-link" },
      "原文 Original ↗"));
  }
  const page = `/sources/${encodeURIComponent(citation.doc_id)}?start=${citation.start}&end=${citation.end}`;
  parts.push(el("a", { href: page, target: "_blank", class: "page-link" }, "单独打开 Open as page"));
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
  title.textContent = `[${citation.n}] ${citation.title || citation.doc_id}`;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  panel.dataset.state = "loading";
  textBox.replaceChildren(el("p", { class: "muted" }, "加载中… Loading…"));
  try {
    const doc = await fetchDocument(citation.doc_id);
    document.getElementById("source-meta").replaceChildren(...metaLine(citation, doc));
    document.getElementById("source-links").replaceChildren(...links(citation, doc));
    const target = renderDocument(textBox, doc.text, citation, sentence);
    panel.dataset.docId = citation.doc_id;
    panel.dataset.state = "ready";
    target.scrollIntoView({ block: "center" });
  } catch (error) {
    panel.dataset.state = "error";
    textBox.replaceChildren(el("p", { class: "error" }, `无法加载来源 Could not load the source: ${error.message}`));
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
