"""MCP server: Hindsight's search, cited answers and documents as tools and resources.

One MCPServer definition serves both transports: `hindsight mcp` runs it over stdio (Claude
Desktop and other local clients), and create_app() mounts its streamable-HTTP endpoint at /mcp
behind the same API keys as /api/*. Every tool has a typed output (its structured content, citations
included); `ask` and `search` also choose their text content, which is what a chat client shows
its user (see _readable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field, ValidationError

from assistant.core.types import display_url
from assistant.retrieve.retriever import Filters
from assistant.service.pipeline import Pipeline
from assistant.store.build_store import IndexUnavailable, LoadedIndex
from assistant.surfaces.api_models import MAX_QUESTION_CHARS, FilterModel
from assistant.surfaces.filters import request_filters
from assistant.surfaces.links import source_view_url
from assistant.surfaces.openai_compat import (
    HARD_BREAK,
    citations_out,
    content_tail,
    hindsight_result,
)
from assistant.surfaces.openai_models import CitationOut
from assistant.text import clip, plain_passage

DOC_URI = "hindsight://documents/{doc_id}"
SEARCH_SNIPPET_CHARS = 200
INSTRUCTIONS = (
    "Hindsight answers questions about delivering AI/LLM projects to enterprise customers from a "
    "Chinese corpus of postmortems and articles. Use `ask` for a cited answer, `search` for ranked "
    "passages, `get_document` to read a source in full. Cite sources by their [n] numbers."
)


class Passage(BaseModel):
    rank: int
    chunk_id: str
    doc_id: str
    title: str | None
    section: str | None
    url: str | None
    link: str = Field(description="where a reader opens the passage: its public url, else the web "
                                  "source view with the passage highlighted")
    text: str
    score: float


class SearchResult(BaseModel):
    query: str
    passages: list[Passage]


class AskResult(BaseModel):
    """A cited answer: `text` is the answer with [n] markers and a Sources block."""

    answer: str
    text: str
    citations: list[CitationOut]
    abstained: bool
    abstain_reason: str | None = None
    notice: str | None = None
    answerer: str
    related: list[CitationOut] = Field(default_factory=list)


class Document(BaseModel):
    doc_id: str
    uri: str
    title: str | None
    url: str | None
    text: str
    metadata: dict[str, Any]


class DocumentSummary(BaseModel):
    doc_id: str
    uri: str
    title: str | None
    doc_type: str | None
    industry: str | None
    tags: list[str]


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class UnknownDocument(LookupError):
    pass


class HindsightMCPServer(MCPServer):
    """MCPServer whose argument errors name each bad field and why, and nothing else.

    The SDK reports an argument that fails the input schema as pydantic's full text: the
    internal model name ("searchArguments"), the rejected input echoed back and a link to
    pydantic's docs on every line (round 7 trial). An agent needs "k: Input should be
    greater than or equal to 1".
    """

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            issues = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                               for e in cause.errors())
            # `from cause`: the SDK logs a ValidationError cause by field names only.
            raise ToolError(f"Error executing tool {name}: invalid arguments: {issues}") from cause


@contextmanager
def _reasons() -> Iterator[None]:
    """Failures the caller can act on become ToolErrors, whose message the client sees."""
    try:
        yield
    except (ValueError, UnknownDocument, IndexUnavailable) as exc:
        raise ToolError(str(exc)) from exc




def _document(index: LoadedIndex, doc_id: str) -> Document:
    doc = index.documents.get(doc_id)
    if doc is None:
        raise UnknownDocument(f"no document {doc_id!r}; list_documents shows the ids")
    return Document(doc_id=doc.doc_id, uri=DOC_URI.format(doc_id=doc.doc_id), title=doc.metadata.get("title"),
                    url=doc.metadata.get("url"), text=doc.text, metadata=doc.metadata)


def build_mcp_server(get_pipeline: Callable[[], Pipeline], max_k: int = 50) -> MCPServer:
    """The MCP server over whichever pipeline get_pipeline() returns when a tool is called."""
    server = HindsightMCPServer("hindsight", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING")

    @server.tool()
    def search(
        query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="question or keywords"),
        k: int = Field(default=5, ge=1, le=max_k, description="number of passages"),
        filters: FilterModel | None = None,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Ranked passages from the corpus for a query (hybrid dense + BM25 retrieval)."""
        with _reasons():
            pipeline = get_pipeline()
            hits = pipeline.search(query.strip(), k=k, filters=request_filters(filters, pipeline.holder.get))
        # A postmortem has no public url; an agent quoting a passage still needs a link to give.
        base = pipeline.settings.public_url
        passages = [Passage(rank=i, score=round(h.score, 6), **{
            key: h.to_json()[key] for key in ("chunk_id", "doc_id", "title", "section", "url", "text")},
            link=display_url(h.chunk.url) or source_view_url(base, h.chunk.doc_id, h.chunk.start, h.chunk.end))
            for i, h in enumerate(hits, start=1)]
        result = SearchResult(query=query, passages=passages)
        return _readable(search_text(result), result)

    @server.tool()
    def ask(
        question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS),
        filters: FilterModel | None = None,
    ) -> Annotated[CallToolResult, AskResult]:
        """A cited answer from the sources (or an abstention when they do not cover it)."""
        with _reasons():
            pipeline = get_pipeline()
            body = pipeline.answer(question.strip(), filters=request_filters(filters, pipeline.holder.get)).to_json()
        result = hindsight_result(body)
        tail = content_tail(question, result, pipeline.settings.public_url)
        answer = AskResult(answer=body["answer"], text=body["answer"] + tail,
                           citations=citations_out(body["citations"]), abstained=result.abstained,
                           abstain_reason=result.abstain_reason, notice=result.notice, answerer=result.answerer,
                           related=result.related)
        return _readable(answer.text, answer)

    @server.tool()
    def get_document(doc_id: str = Field(min_length=1, max_length=128)) -> Document:
        """The full text and metadata of one source document."""
        with _reasons():
            return _document(get_pipeline().holder.get(), doc_id)

    @server.tool()
    def list_documents(filters: FilterModel | None = None) -> DocumentList:
        """Every indexed document (id, title, type, tags), optionally filtered by metadata."""
        with _reasons():
            index = get_pipeline().holder.get()
            return DocumentList(documents=_summaries(index, request_filters(filters, lambda: index)))

    @server.resource(DOC_URI, mime_type="text/plain", description="A source document's full text")
    def document_resource(doc_id: str) -> str:
        try:
            doc = _document(get_pipeline().holder.get(), doc_id)
        except UnknownDocument as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return f"{doc.title or doc.doc_id}\n\n{doc.text}"

    return server


def _readable(text: str, result: BaseModel) -> CallToolResult:
    """The tool's text content is `text`; its structured content is still `result`.

    Returning the model alone made the SDK's text content the model's JSON, and chat clients
    (Claude Desktop…) show the text content: the user read {"answer": …, "citations": […]}
    (round 7 trial). Annotated[CallToolResult, Model] keeps the output schema, and the SDK
    still checks the structured content against it.
    """
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=result.model_dump(mode="json"))


def search_text(result: SearchResult) -> str:
    """The passages as a numbered list a person reads: title › section, a snippet, the link."""
    if not result.passages:
        return f"No passages found for {result.query!r}."
    entries = []
    for p in result.passages:
        title = p.title or p.doc_id
        label = f"{title} › {p.section}" if p.section and p.section != title else title
        # Longer than the Sources block's snippet: an agent reading search results has only this text.
        # as read: no "- [ ]" or "##" marks (the structured text stays verbatim)
        quote = clip(plain_passage(p.text), SEARCH_SNIPPET_CHARS)
        # Lines end in Markdown hard breaks, as in the Sources block: chat clients render Markdown.
        entries.append(HARD_BREAK.join([f"[{p.rank}] {label}", f"    “{quote}”", f"    {p.link}"]))
    return "\n\n".join(entries)


def _summaries(index: LoadedIndex, filters: Filters | None) -> list[DocumentSummary]:
    # Chunks carry their document's metadata, so the retriever's own filter decides.
    kept = {c.doc_id for c in index.chunks if filters.accepts(c)} if filters else set(index.documents)
    return [
        DocumentSummary(doc_id=d.doc_id, uri=DOC_URI.format(doc_id=d.doc_id), title=d.metadata.get("title"),
                        doc_type=d.metadata.get("doc_type"), industry=d.metadata.get("industry"),
                        tags=[str(t) for t in d.metadata.get("tags") or []])
        for d in index.documents.values() if d.doc_id in kept
    ]
