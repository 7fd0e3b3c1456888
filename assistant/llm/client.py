"""The LLM seam: chat with an OpenAI-compatible endpoint or Ollama through llama-index clients.

Every failure (timeout, HTTP error status, refused connection, unreadable or empty output)
becomes one LLMError with a short reason, so callers can fall back instead of crashing.
Timeouts: `llm_timeout` bounds each wait (connect, first byte, the gap between streamed
chunks); a streamed reply is cut off after STREAM_BUDGET × llm_timeout in total. Retries are
off: a failed call falls back at once rather than multiplying the wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from assistant.core.settings import Settings

STREAM_BUDGET = 4.0


class LLMError(RuntimeError):
    """The LLM call failed; str() is a short reason such as 'timeout' or 'HTTP 500'."""


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str


class LLMClient:
    """chat() → the reply text; stream() → reply pieces as they arrive. Raises LLMError."""

    def __init__(self, llm: Any, timeout: float, backend: str, model: str) -> None:
        self.llm = llm
        self.timeout = timeout
        self.backend = backend
        self.model = model

    def chat(self, messages: list[Message]) -> str:
        """The whole reply; empty output is an error."""
        try:
            response = self.llm.chat(_to_llama(messages))
        except Exception as exc:
            raise LLMError(classify(exc)) from exc
        text = (response.message.content or "").strip()
        if not text:
            raise LLMError("empty output")
        return text

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Reply pieces in order; raises LLMError on failure, overrun or empty output."""
        deadline = time.monotonic() + STREAM_BUDGET * self.timeout
        produced = False
        try:
            for response in self.llm.stream_chat(_to_llama(messages)):
                piece = response.delta or ""
                if piece:
                    produced = produced or bool(piece.strip())
                    yield piece
                if time.monotonic() > deadline:
                    raise LLMError(f"timeout: stream exceeded {STREAM_BUDGET * self.timeout:g}s")
        except LLMError:
            raise
        except Exception as exc:
            raise LLMError(classify(exc)) from exc
        if not produced:
            raise LLMError("empty output")


def _to_llama(messages: list[Message]) -> list[Any]:
    from llama_index.core.llms import ChatMessage  # lazy: optional `llm` extra, ~1 s import

    return [ChatMessage(role=m.role, content=m.content) for m in messages]


def classify(exc: BaseException) -> str:
    """A short, stable reason for a failed call (walks the exception chain)."""
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        status = getattr(seen, "status_code", None)
        if isinstance(status, int) and status >= 400:
            return f"HTTP {status}"
        if "Timeout" in name:
            return "timeout"
        if isinstance(seen, ConnectionError) or name in {"APIConnectionError", "ConnectError"}:
            return "connection failed"
        if isinstance(seen, ValueError):
            return f"unreadable output: {str(seen)[:120]}"
        seen = seen.__cause__ or seen.__context__
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _openai(settings: Settings) -> Any:
    from llama_index.llms.openai_like import OpenAILike  # lazy: optional `llm` extra

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return OpenAILike(
        model=settings.llm_model, api_base=settings.llm_base_url, api_key=key,
        timeout=settings.llm_timeout, max_retries=0, max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature, context_window=settings.llm_context_window,
        is_chat_model=True,
    )


def _ollama(settings: Settings) -> Any:
    from llama_index.llms.ollama import Ollama  # lazy: optional `llm` extra

    headers = {"Authorization": f"Bearer {settings.llm_api_key.get_secret_value()}"} if settings.llm_api_key else None
    return Ollama(
        model=settings.llm_model, base_url=settings.llm_base_url, request_timeout=settings.llm_timeout,
        temperature=settings.llm_temperature, context_window=settings.llm_context_window,
        additional_kwargs={"num_predict": settings.llm_max_tokens}, headers=headers,
    )


LLM_BACKENDS: dict[str, Callable[[Settings], Any]] = {"openai": _openai, "ollama": _ollama}


def create_llm_client(settings: Settings) -> LLMClient | None:
    """The configured LLM client, or None when no base URL is set (offline default)."""
    if not settings.llm_base_url:
        return None
    llm = LLM_BACKENDS[settings.llm_backend](settings)
    return LLMClient(llm, settings.llm_timeout, settings.llm_backend, settings.llm_model)
