// Answers, source lists and highlighted documents, built as DOM nodes (never innerHTML).
import { el, typeLabel } from "./dom.js";
import { t } from "./i18n.js";

const MARKER = /\[(\d+)\]/g;
const POINT_NUMBER = /^\s*\d+[.、)]\s*/;

function citeButton(citation, n, sentenceIndex, onCite) {
  if (!citation) return document.createTextNode(`[${n}]`);
  return el("button", {
    type: "button", class: "cite", dataset: { n: String(n) },
    "aria-label": `${t("source")} ${n}: ${citation.display_title || citation.title || citation.doc_id}`,
    title: citation.display_title || citation.title || citation.doc_id,
    onclick: (event) => onCite(citation, sentenceIndex, event.currentTarget),
  }, `[${n}]`);
}

/** Text with [n] markers turned into citation buttons, appended to parent. */
function appendWithMarkers(parent, text, byN, sentenceIndex, onCite) {
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    if (m.index > last) parent.append(text.slice(last, m.index));
    parent.append(citeButton(byN.get(Number(m[1])), Number(m[1]), sentenceIndex, onCite));
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

/** The answer: by sentence kind (lead, points, labels, frames) when given, else from its text. */
export function renderAnswerText(answer, onCite) {
  const sentences = answer.sentences || [];
  if (sentences.length && sentences.some((s) => s.kind)) return renderByKind(answer, onCite);
  return renderPlain(answer, onCite);
}

function renderByKind(answer, onCite) {
  const root = el("div", { class: "answer-text structured" });
  const byN = new Map((answer.citations || []).map((c) => [c.n, c]));
  let lead = null;
  let points = null;
  answer.sentences.forEach((sentence, i) => {
    const kind = sentence.kind || "point";
    if (kind === "label" || kind === "frame") {
      root.append(el("p", { class: `answer-${kind}` }, sentence.text));
      points = null;
      return;
    }
    const raw = kind === "point" ? sentence.text.replace(POINT_NUMBER, "") : sentence.text;
    const numbers = [...new Set([...[...raw.matchAll(MARKER)].map((m) => Number(m[1])), ...(sentence.citations || [])])];
    // The sentence span holds the sentence alone; its [n] buttons follow it, as in plain answers.
    const span = el("span", { class: "sentence-with-cites" },
      sentenceSpan({ ...sentence, text: raw.replace(MARKER, "").trim() }, i),
      ...numbers.map((n) => citeButton(byN.get(n), n, i, onCite)));
    if (kind === "lead") {
      if (!lead) root.append((lead = el("p", { class: "answer-lead" })));
      lead.append(span);
    } else {
      if (!points) root.append((points = el("ol", { class: "answer-points" })));
      points.append(el("li", {}, span));
    }
  });
  return root;
}

/** Older answers without kinds: the text as is, sentences wrapped, [n] markers as buttons. */
function renderPlain(answer, onCite) {
  const root = el("div", { class: "answer-text" });
  const text = answer.answer || "";
  const byN = new Map((answer.citations || []).map((c) => [c.n, c]));
  let pos = 0;
  let current = -1; // markers after a sentence belong to it
  (answer.sentences || []).forEach((sentence, i) => {
    const at = sentence.text ? text.indexOf(sentence.text, pos) : -1;
    if (at < 0) return;
    appendWithMarkers(root, text.slice(pos, at), byN, current, onCite);
    root.append(sentenceSpan(sentence, i));
    current = i;
    pos = at + sentence.text.length;
  });
  appendWithMarkers(root, text.slice(pos), byN, current, onCite);
  return root;
}

function sentenceSpan(sentence, i) {
  const span = el("span", { class: "sentence", dataset: { i: String(i) } }, sentence.text);
  if (sentence.supported === false) {
    span.classList.add("unsupported");
    const score = typeof sentence.support === "number" ? ` (${sentence.support.toFixed(2)})` : "";
    span.title = `${t("unsupported")}${score}`;
    span.append(el("span", { class: "unsupported-flag" }, "⚠",
      el("span", { class: "visually-hidden" }, ` ${t("unsupported")}`)));
  }
  return span;
}

/** Section path of a citation without a part that repeats the title. */
export function sectionPath(c) {
  const path = Array.isArray(c.section_path) ? c.section_path : String(c.section || "").split(" > ");
  return path.map((p) => p.trim()).filter((p) => p && p !== c.title);
}

/** A short excerpt that tells citations of the same document apart. */
export function snippet(c) {
  const text = (c.snippet || c.text || "").replace(/\s+/g, " ").trim();
  return text.length > 70 ? `${text.slice(0, 70)}…` : text;
}

/** The numbered source list under an answer: title, section path, distinguishing snippet. */
export function renderSources(citations, onCite, label = "sources") {
  const list = el("ol", { class: "sources" });
  for (const c of citations) {
    const path = sectionPath(c);
    list.append(el("li", { value: String(c.n) }, el("button", {
      type: "button", class: "source-item", dataset: { n: String(c.n) },
      onclick: (event) => onCite(c, -1, event.currentTarget),
    }, el("span", { class: "source-n" }, `[${c.n}]`), " ",
    el("span", { class: "source-title" }, c.display_title || c.title || c.doc_id),
    path.length ? el("span", { class: "source-section" }, ` › ${path.join(" › ")}`) : null,
    c.doc_type ? el("span", { class: "badge" }, typeLabel(c.doc_type)) : null,
    snippet(c) ? el("span", { class: "source-snippet" }, snippet(c)) : null)));
  }
  return el("section", { class: `sources-block ${label}`, "aria-label": t(label) }, el("h3", {}, t(label)), list);
}
