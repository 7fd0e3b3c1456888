// The chat page: streamed answers, conversations, filters; wiring only — rendering lives in modules.
import { el, typeLabel } from "./dom.js";
import { renderFeedback } from "./feedback.js";
import { closeSource, openSource } from "./panel.js";
import { renderAnswerText, renderSources } from "./render.js";
import { readEvents } from "./sse.js";

const state = { conversationId: null, busy: false };
const $ = (id) => document.getElementById(id);

function onCite(answer) {
  return (citation, sentenceIndex, trigger) => {
    const s = (answer.sentences || [])[sentenceIndex];
    const span = s && s.doc_id === citation.doc_id && s.start != null && s.end != null ? s : null;
    openSource(citation, span, trigger);
  };
}

/** Replace an assistant bubble's content with the finished, cited answer. */
function showAnswer(bubble, answer, turn) {
  const cite = onCite(answer);
  const parts = [];
  if (answer.abstained) {
    bubble.classList.add("abstained");
    parts.push(el("p", { class: "abstain-label" }, "未找到依据 · No supporting sources"));
  }
  parts.push(renderAnswerText(answer, cite));
  if (!answer.abstained && (answer.citations || []).length) parts.push(renderSources(answer.citations, cite));
  parts.push(renderFeedback({ ...turn, answer }));
  bubble.replaceChildren(...parts);
  bubble.dataset.state = "final";
}

function addBubble(role, ...children) {
  $("empty-state").hidden = true;
  const bubble = el("article", { class: `message ${role}`, dataset: { role } }, ...children);
  $("messages").append(bubble);
  return bubble;
}

function currentFilters() {
  const checked = (sel) => [...document.querySelectorAll(sel)].filter((i) => i.checked).map((i) => i.value);
  const filters = {};
  const types = checked('input[name="doc_type"]');
  const tags = checked('input[name="tag"]');
  if (types.length) filters.doc_type = types;
  if (tags.length) filters.tags = tags;
  return Object.keys(filters).length ? filters : null;
}

function showFilterSummary() {
  const f = currentFilters();
  const box = $("filter-summary");
  box.hidden = !f;
  if (f) {
    const types = (f.doc_type || []).map(typeLabel).join("、");
    box.textContent = `筛选 Filtered: ${[types, (f.tags || []).map((t) => `#${t}`).join(" ")].filter(Boolean).join(" · ")}`;
  }
}

/** fetch, showing the sign-in banner when the server wants an API key session (401). */
async function api(url, options) {
  const response = await fetch(url, options);
  if (response.status === 401) $("signin").hidden = false;
  return response;
}

async function errorDetail(response) {
  const body = await response.json().catch(() => null);
  const detail = body && body.detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
  return detail || `HTTP ${response.status}`;
}

/** Ask: stream deltas into a new bubble, then render the final answer with citations. */
async function ask(question) {
  if (state.busy || !question.trim()) return;
  state.busy = true;
  $("send").disabled = true;
  const filters = currentFilters();
  addBubble("user", el("p", {}, question));
  const live = el("div", { class: "answer-text streaming" });
  const bubble = addBubble("assistant", live);
  bubble.dataset.state = "streaming";
  bubble.dataset.deltas = "0";
  let gotFinal = false;
  try {
    const response = await api("/api/chat/stream", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, conversation_id: state.conversationId, filters }),
    });
    if (!response.ok) throw new Error(await errorDetail(response));
    for await (const { event, data } of readEvents(response)) {
      if (event === "meta") state.conversationId = data.conversation_id;
      else if (event === "delta") {
        live.append(data.text);
        bubble.dataset.deltas = String(Number(bubble.dataset.deltas) + 1);
        bubble.scrollIntoView({ block: "end" });
      } else if (event === "final") {
        gotFinal = true;
        state.conversationId = data.conversation_id;
        showAnswer(bubble, data, { question, messageId: data.message_id, conversationId: data.conversation_id, filters });
      } else if (event === "error") throw new Error(data.detail || "error");
    }
    if (!gotFinal) throw new Error("连接中断 The answer stream ended early");
  } catch (error) {
    bubble.dataset.state = "error";
    bubble.append(el("p", { class: "error", role: "alert" }, `出错了 Error: ${error.message}`));
  } finally {
    state.busy = false;
    $("send").disabled = false;
    bubble.scrollIntoView({ block: "nearest" });
    loadConversations();
  }
}

function resetChat() {
  state.conversationId = null;
  closeSource();
  $("messages").replaceChildren($("empty-state"));
  $("empty-state").hidden = false;
  markActive();
  toggleSidebar(false);
  $("question").focus();
}

function markActive() {
  for (const b of document.querySelectorAll(".conversation")) {
    if (b.dataset.id === state.conversationId) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
}

async function loadConversations() {
  const response = await api("/api/conversations");
  if (!response.ok) return;
  const items = (await response.json()).map((c) => el("li", {}, el("button", {
    type: "button", class: "conversation", dataset: { id: c.id }, onclick: () => openConversation(c.id),
  }, el("span", { class: "conversation-title" }, c.title || "（无标题 untitled）"),
  el("time", { class: "conversation-date" }, new Date(c.updated_at).toLocaleString()))));
  $("conversations").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "还没有对话 No conversations yet")]));
  markActive();
}

/** Show a stored conversation; its answers keep their citations and can still be rated. */
async function openConversation(id) {
  const response = await api(`/api/conversations/${encodeURIComponent(id)}`);
  if (!response.ok) return;
  const conversation = await response.json();
  resetChat();
  state.conversationId = conversation.id;
  let question = "";
  for (const m of conversation.messages) {
    if (m.role === "user") {
      question = m.content;
      addBubble("user", el("p", {}, m.content));
    } else if (m.answer) {
      showAnswer(addBubble("assistant"), m.answer, { question, messageId: m.id, conversationId: id });
    } else addBubble("assistant", el("div", { class: "answer-text" }, m.content));
  }
  markActive();
}

async function loadTags() {
  const box = $("tag-filters");
  const response = await api("/api/documents");
  if (!response.ok) {
    box.replaceChildren(el("span", { class: "muted" }, "索引不可用 Index unavailable"));
    return;
  }
  const counts = new Map();
  for (const doc of await response.json()) for (const t of doc.tags || []) counts.set(t, (counts.get(t) || 0) + 1);
  const tags = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  box.replaceChildren(...tags.map(([tag, n]) => el("label", { class: "tag-option" },
    el("input", { type: "checkbox", name: "tag", value: tag }), ` ${tag} `, el("span", { class: "count" }, `${n}`))));
}

function toggleSidebar(open) {
  const show = open ?? !document.body.classList.contains("sidebar-open");
  document.body.classList.toggle("sidebar-open", show);
  $("menu-toggle").setAttribute("aria-expanded", String(show));
}

function wire() {
  const input = $("question");
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q || state.busy) return;
    input.value = "";
    ask(q);
  });
  input.addEventListener("keydown", (event) => {
    // isComposing: Enter that confirms a Chinese IME candidate must not send the question.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  for (const b of document.querySelectorAll(".example")) {
    b.addEventListener("click", () => ask(b.dataset.question));
  }
  $("new-chat").addEventListener("click", resetChat);
  $("new-chat-top").addEventListener("click", resetChat);
  $("menu-toggle").addEventListener("click", () => toggleSidebar());
  $("close-source").addEventListener("click", closeSource);
  document.querySelector(".filters").addEventListener("change", showFilterSummary);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!$("source-panel").hidden) closeSource();
    else toggleSidebar(false);
  });
}

wire();
loadTags();
loadConversations();
