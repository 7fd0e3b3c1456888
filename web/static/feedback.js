// Thumbs up/down with an optional comment, stored with the question, answer, citations and config.
import { el } from "./dom.js";
import { t } from "./i18n.js";

const MAX_ANSWER_CHARS = 40000; // assistant/surfaces/api_models.py

async function send(payload) {
  const response = await fetch("/api/feedback", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail || response.status));
  }
  return response.json();
}

/** The feedback controls for one answer; turn = {question, answer, messageId, conversationId, filters}. */
export function renderFeedback(turn) {
  let rating = 0;
  const status = el("span", { class: "feedback-status", role: "status" });
  const comment = el("textarea", {
    class: "feedback-comment", rows: "2", maxlength: "4000",
    "aria-label": t("comment"), placeholder: t("comment"),
  });
  const submit = el("button", { type: "submit", class: "button small" }, t("send_feedback"));
  const form = el("form", { class: "feedback-form", hidden: true }, comment, submit);
  const thumb = (value, symbol, label) => el("button", {
    type: "button", class: "thumb", "aria-pressed": "false", "aria-label": label, title: label,
    dataset: { rating: String(value) },
    onclick: (event) => {
      rating = value;
      for (const b of box.querySelectorAll(".thumb")) b.setAttribute("aria-pressed", String(b === event.currentTarget));
      form.hidden = false;
      comment.focus();
    },
  }, symbol);
  const box = el("div", { class: "feedback" },
    thumb(1, `▲ ${t("helpful")}`, t("helpful")), thumb(-1, `▼ ${t("not_helpful")}`, t("not_helpful")), form, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const { answer } = turn;
      await send({
        rating, comment: comment.value.trim(), message_id: turn.messageId ?? null,
        conversation_id: turn.conversationId ?? null, question: turn.question || "",
        // The API keeps at most MAX_ANSWER_CHARS of the rated answer; the rating must not be lost.
        answer: (answer.answer || "").slice(0, MAX_ANSWER_CHARS), citations: answer.citations || [],
        config: { answerer: answer.answerer, build_id: (answer.trace || {}).build_id,
          abstained: answer.abstained, filters: turn.filters || null, client: "web" },
      });
      box.dataset.state = "saved";
      form.hidden = true;
      box.querySelectorAll(".thumb").forEach((b) => { b.disabled = true; });
      status.textContent = t("saved_thanks");
    } catch (error) {
      submit.disabled = false;
      status.textContent = `${t("not_saved")}: ${error.message}`;
    }
  });
  comment.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  return box;
}
