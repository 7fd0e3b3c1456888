// The chat page: streamed answers, conversations, filters; wiring only — rendering lives in modules.
import { initConversations } from "./conversations.js";
import { el, errorDetail } from "./dom.js";
import { renderFeedback } from "./feedback.js";
import { currentFilters, initFilters, loadFilters } from "./filters.js";
import { t } from "./i18n.js";
import { closeSource, openSource, sourcePage } from "./panel.js";
import { renderAnswerText, renderSources } from "./render.js";
import { readEvents } from "./sse.js";

const state = { conversationId: null, busy: false, controller: null };
const $ = (id) => document.getElementById(id);

function onCite(answer) {
  return (citation, sentenceIndex, trigger) => {
    const s = (answer.sentences || [])[sentenceIndex];
    const span = s && s.doc_id === citation.doc_id && s.start != null && s.end != null ? s : null;
    openSource(citation, span, trigger);
  };
}

/** Copy the answer's plain text (with [n] markers and the source list) to the clipboard. */
function copyButton(answer) {
  const button = el("button", { type: "button", class: "button small copy-answer" }, t("copy"));
  button.addEventListener("click", async () => {
    // A source with no public URL (a postmortem) gets its page here: a pasted answer stays checkable.
    const where = (c) => c.url || new URL(sourcePage(c), window.location.origin).href;
    const sources = (answer.citations || []).map((c) => `[${c.n}] ${c.display_title || c.title || c.doc_id} ${where(c)}`);
    const text = [answer.answer || "", sources.length ? `\n${t("sources")}:\n${sources.join("\n")}` : ""].join("\n").trim();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { class: "visually-hidden" }, text);
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.dataset.copied = text;
    button.textContent = t("copied");
    setTimeout(() => { button.textContent = t("copy"); }, 1500);
  });
  return button;
}

/** Replace an assistant bubble's content with the finished, cited answer. */
function showAnswer(bubble, answer, turn) {
  const cite = onCite(answer);
  const parts = [];
  if (answer.abstained) {
    bubble.classList.add("abstained");
    parts.push(el("p", { class: "abstain-label" }, t("abstained")));
  }
  parts.push(renderAnswerText(answer, cite));
  if (!answer.abstained && (answer.citations || []).length) parts.push(renderSources(answer.citations, cite));
  // An abstention on the sources' subject lists the closest passages, and an answer to a question
  // asked across the sources the other documents' (related.other_sources): no sentence cites them.
  if ((answer.related || []).length) {
    parts.push(renderSources(answer.related, cite, answer.abstained ? "related" : "related_other"));
  }
  parts.push(el("div", { class: "answer-tools" }, copyButton(answer)));
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

/** fetch, showing the sign-in banner when the server wants an API key session (401). */
async function api(url, options) {
  const response = await fetch(url, options);
  if (response.status === 401) $("signin").hidden = false;
  return response;
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy;
  $("send").hidden = busy;
  $("stop").hidden = !busy;
}

/** Stop the answer being streamed (Esc or the Stop button). */
function stopStream() {
  if (state.controller) state.controller.abort();
}

/** Ask: stream deltas into a new bubble, then render the final answer with citations. */
async function ask(question) {
  if (state.busy || !question.trim()) return;
  setBusy(true);
  state.controller = new AbortController();
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
      signal: state.controller.signal,
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
    if (!gotFinal) throw new Error(t("stream_ended"));
  } catch (error) {
    if (error.name === "AbortError") {
      bubble.dataset.state = "stopped";
      live.classList.remove("streaming");
      bubble.append(el("p", { class: "muted stopped" }, t("stopped")));
    } else {
      bubble.dataset.state = "error";
      bubble.append(el("p", { class: "error", role: "alert" }, `${t("error")}: ${error.message}`));
    }
  } finally {
    state.controller = null;
    setBusy(false);
    bubble.scrollIntoView({ block: "nearest" });
    conversations.reload();
  }
}

function resetChat() {
  stopStream();
  state.conversationId = null;
  closeSource();
  $("messages").replaceChildren($("empty-state"));
  $("empty-state").hidden = false;
  conversations.markActive();
  toggleSidebar(false);
  $("question").focus();
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
  conversations.markActive();
}

function toggleSidebar(open) {
  const show = open ?? !document.body.classList.contains("sidebar-open");
  document.body.classList.toggle("sidebar-open", show);
  $("menu-toggle").setAttribute("aria-expanded", String(show));
}

const conversations = initConversations({
  open: openConversation, deleted: resetChat, current: () => state.conversationId, api,
});

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
  for (const b of document.querySelectorAll(".example")) b.addEventListener("click", () => ask(b.dataset.question));
  $("new-chat").addEventListener("click", resetChat);
  $("new-chat-top").addEventListener("click", resetChat);
  $("stop").addEventListener("click", stopStream);
  $("menu-toggle").addEventListener("click", () => toggleSidebar());
  $("close-source").addEventListener("click", closeSource);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (state.busy) stopStream();
    else if (!$("source-panel").hidden) closeSource();
    else toggleSidebar(false);
  });
  initFilters();
}

wire();
loadFilters(api);
conversations.reload();
