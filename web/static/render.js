// Answers, source lists and highlighted documents, built as DOM nodes (never innerHTML).
import { el, typeLabel } from "./dom.js";

const MARKER = /\[(\d+)\]/g;

function citeButton(citation, n, sentenceIndex, onCite) {
  if (!citation) return document.createTextNode(`[${n}]`);
  return el("button", {
    type: "button", class: "cite", dataset: { n: String(n) },
    "aria-label": `来源 Source ${n}: ${citation.title || citation.doc_id}`,
    title: citation.title || citation.doc_id,
    onclick: (event) => onCite(citation, sentenceIndex, event.currentTarget),
  }, `[${n}]`);
}

/** Answer text with [n] markers as buttons and each sentence in a span (unsupported ones marked). */
export function renderAnswerText(answer, onCite) {
  const root = el("div", { class: "answer-text" });
  const text = answer.answer || "";
  const byN = new Map((answer.citations || []).map((c) => [c.n, c]));
  let pos = 0;
  let current = -1; // markers after a sentence belong to it
  const plain = (chunk) => {
    let last = 0;
    for (const m of chunk.matchAll(MARKER)) {
      if (m.index > last) root.append(chunk.slice(last, m.index));
      root.append(citeButton(byN.get(Number(m[1])), Number(m[1]), current, onCite));
      last = m.index + m[0].length;
    }
    if (last < chunk.length) root.append(chunk.slice(last));
  };
  (answer.sentences || []).forEach((sentence, i) => {
    const at = sentence.text ? text.indexOf(sentence.text, pos) : -1;
    if (at < 0) return;
    plain(text.slice(pos, at));
    root.append(sentenceSpan(sentence, i));
    current = i;
    pos = at + sentence.text.length;
  });
  plain(text.slice(pos));
  return root;
}

function sentenceSpan(sentence, i) {
  const span = el("span", { class: "sentence", dataset: { i: String(i) } }, sentence.text);
  if (sentence.supported === false) {
    span.classList.add("unsupported");
    const score = typeof sentence.support === "number" ? ` (${sentence.support.toFixed(2)})` : "";
    span.title = `来源不足以支持这句话 Not supported by its sources${score}`;
    span.append(el("span", { class: "unsupported-flag" }, "⚠",
      el("span", { class: "visually-hidden" }, " 未被来源支持 unsupported")));
  }
  return span;
}

/** The numbered source list under an answer. */
export function renderSources(citations, onCite) {
  const list = el("ol", { class: "sources" });
  for (const c of citations) {
    list.append(el("li", { value: String(c.n) }, el("button", {
      type: "button", class: "source-item", dataset: { n: String(c.n) },
      onclick: (event) => onCite(c, -1, event.currentTarget),
    }, el("span", { class: "source-n" }, `[${c.n}]`), " ",
    el("span", { class: "source-title" }, c.title || c.doc_id),
    c.section ? el("span", { class: "source-section" }, ` · ${c.section}`) : null,
    c.doc_type ? el("span", { class: "badge" }, typeLabel(c.doc_type)) : null)));
  }
  return el("section", { class: "sources-block", "aria-label": "来源 Sources" },
    el("h3", {}, "来源 Sources"), list);
}

/**
 * Fill container with text, [start, end) wrapped in mark.passage and the sentence span
 * (when inside it) in mark.sentence. Offsets count code points, like Python's str.
 */
export function renderDocument(container, text, passage, sentence) {
  const chars = Array.from(text);
  const cut = (a, b) => chars.slice(a, b).join("");
  const lo = Math.max(0, Math.min(passage.start, chars.length));
  const hi = Math.max(lo, Math.min(passage.end, chars.length));
  const mark = el("mark", { class: "passage" });
  const inside = sentence && sentence.start >= lo && sentence.end <= hi && sentence.start < sentence.end;
  if (inside) {
    mark.append(cut(lo, sentence.start),
      el("mark", { class: "sentence-mark" }, cut(sentence.start, sentence.end)), cut(sentence.end, hi));
  } else {
    mark.append(cut(lo, hi));
  }
  container.replaceChildren(cut(0, lo), mark, cut(hi, chars.length));
  return container.querySelector(".sentence-mark") || mark;
}
