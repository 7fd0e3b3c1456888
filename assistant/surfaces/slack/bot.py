"""SlackBot: accept a Slack request fast, answer in a worker thread, post the Block Kit reply."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from assistant.core.settings import Settings
from assistant.service.chat import ChatService
from assistant.service.history import HistoryStore
from assistant.service.pipeline import Pipeline
from assistant.surfaces.slack.blocks import answer_blocks, escape, notice_blocks
from assistant.surfaces.slack.client import make_web_client, make_webhook
from assistant.surfaces.slack.events import SlackQuestion, clean_text, question_from_envelope
from assistant.surfaces.slack.feedback import feedback_actions, record_feedback
from assistant.surfaces.slack.ledger import DeliveryLedger

log = logging.getLogger("hindsight.slack")

USAGE = (
    "Ask Hindsight about delivering AI projects; every answer cites its sources.\n"
    "• `/hindsight 试用期客户不断加需求怎么办？`\n"
    "• mention @Hindsight in a channel, or send it a direct message; ask follow-ups in the thread."
)
FAILED = "Sorry, Hindsight could not answer this one ({reason}). Please try again later."


class SlackBot:
    """Answers Slack questions in a small thread pool it owns; close() waits for replies in flight."""

    def __init__(self, settings: Settings, pipeline: Pipeline, store: HistoryStore,
                 client: WebClient | None = None, workers: int = 2) -> None:
        self.settings = settings
        self.store = store
        self.chat = ChatService(pipeline, store)
        self.client = client or make_web_client(settings)
        self.ledger = DeliveryLedger(store.engine)
        self.ledger.prune()
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="slack")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._bot_user_id: str | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) in the bot's pool; errors are logged, never lost silently."""
        future = self._executor.submit(_logged, fn, *args)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every submitted job has finished; False on timeout."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout=timeout).not_done

    def close(self) -> None:
        """Finish the replies in flight, then stop the pool."""
        self._executor.shutdown(wait=True)

    def bot_user_id(self) -> str | None:
        """The bot's own user id (auth.test, asked once); None when Slack cannot be asked."""
        if self._bot_user_id is None:
            try:
                self._bot_user_id = str(self.client.auth_test()["user_id"])
            except Exception as exc:  # noqa: BLE001 - bot_id/subtype filters still apply
                log.warning("auth.test failed, cannot filter the bot's own user id: %s", exc)
        return self._bot_user_id

    # ---- Events API ------------------------------------------------------------------------
    def accept_event(self, envelope: dict[str, Any]) -> str:
        """Queue the answer to an event_callback once; returns what happened (for the ack body)."""
        question = question_from_envelope(envelope)
        if isinstance(question, str):
            return f"ignored: {question}"
        if not self.ledger.claim(*question.delivery_keys):
            return "duplicate: already answered or being answered"
        self.submit(self.answer_in_thread, question)
        return "accepted"

    def answer_in_thread(self, question: SlackQuestion) -> None:
        """Answer a mention or DM in its thread, keeping the thread's conversation."""
        if question.user == self.bot_user_id():
            return
        try:
            text, blocks = self._reply(question.text, question.conversation_id)
        except Exception as exc:
            log.exception("answering %s failed", question.delivery_keys)
            text, blocks = notice_blocks(FAILED.format(reason=type(exc).__name__))
        self.client.chat_postMessage(
            channel=question.channel, thread_ts=question.thread_ts, text=text, blocks=blocks,
            unfurl_links=False, unfurl_media=False,
        )

    def _reply(self, question: str, conversation_id: str | None) -> tuple[str, list[dict[str, Any]]]:
        problem = self.check(question)
        if problem:
            return notice_blocks(problem)
        result = self.ask(question, conversation_id)
        return answer_blocks(result, self.settings.public_url, question, show_question=conversation_id is None)

    def check(self, question: str) -> str | None:
        """Why a question cannot be asked (empty, too long), or None."""
        if not question.strip():
            return USAGE
        if len(question) > self.settings.max_question_chars:
            return f"The question is {len(question)} characters; the limit is {self.settings.max_question_chars}."
        return None

    def ask(self, question: str, conversation_id: str | None) -> dict[str, Any]:
        """ChatService.ask as Slack: a thread's conversation is created on its first question."""
        kwargs: dict[str, Any] = {"conversation_id": conversation_id, "source": "slack", "create_missing": True}
        try:
            return self.chat.ask(question, **kwargs).to_json()
        except IntegrityError:
            # Two first questions of one thread raced to create its conversation; it exists now.
            return self.chat.ask(question, **kwargs).to_json()

    # ---- slash command ---------------------------------------------------------------------
    def accept_command(self, form: dict[str, str], keys: tuple[str, ...] = ()) -> dict[str, Any]:
        """The immediate (ephemeral) response to /hindsight; the answer follows on response_url.

        keys identify the delivery (signature, trigger_id): a replay or retry is answered once.
        """
        if keys and not self.ledger.claim(*keys):
            return {"response_type": "ephemeral", "text": "Already received; the answer is on its way."}
        question = clean_text(form.get("text", ""))  # Slack escapes &, <, > in command text too
        problem = self.check(question)
        if problem or not form.get("response_url"):
            return {"response_type": "ephemeral", "text": problem or "Missing response_url."}
        self.submit(self.answer_command, question, form["response_url"])
        return {"response_type": "ephemeral", "text": f"Searching… _{escape(question)[:300]}_"}

    def answer_command(self, question: str, response_url: str) -> None:
        """Answer a slash command in the channel through its response_url."""
        try:
            text, blocks = self._reply(question, None)
        except Exception as exc:
            log.exception("answering a slash command failed")
            text, blocks = notice_blocks(FAILED.format(reason=type(exc).__name__))
        response = make_webhook(response_url).send(
            text=text, blocks=blocks, response_type="in_channel", replace_original=False)
        if response.status_code != 200:
            log.error("response_url refused the answer: %s %s", response.status_code, response.body)

    # ---- interactivity ---------------------------------------------------------------------
    def accept_interaction(self, payload: dict[str, Any], keys: tuple[str, ...] = ()) -> list[int]:
        """Store 👍/👎 clicks as feedback (source=slack); thank the user. Returns feedback row ids.

        Each click is claimed by its action_ts too, so a replayed or retried payload stores nothing.
        """
        actions = feedback_actions(payload)
        user = (payload.get("user") or {}).get("id") if isinstance(payload.get("user"), dict) else None
        clicks = [f"action:{user}:{a.get('action_id')}:{a.get('action_ts')}" for a in actions]
        if (keys or clicks) and not self.ledger.claim(*keys, *clicks):
            return []
        ids = [record_feedback(self.store, payload, action) for action in actions]
        response_url = payload.get("response_url")
        if ids and isinstance(response_url, str):
            self.submit(_thank, response_url)
        return ids


def _thank(response_url: str) -> None:
    make_webhook(response_url).send(
        text="Thanks, your feedback was recorded.", response_type="ephemeral", replace_original=False)


def _logged(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.exception("slack job %s failed", getattr(fn, "__name__", fn))
