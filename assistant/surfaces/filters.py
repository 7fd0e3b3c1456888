"""Request filters, checked against the served index the way the CLI checks --filter.

A filter value that no indexed document has (a typo, a value from an older index) used to give a
200 with no results on /api/search, /api/chat, /v1/chat/completions and the MCP tools, while the
CLI refused it and listed the valid values. Every surface now uses the CLI's check
(assistant.retrieve.facets.unknown_filter_values), so the caller learns why. Values that each
exist but match nothing together are a valid request: the answer is just empty.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.retrieve.facets import facets, unknown_filter_values
from assistant.retrieve.retriever import Filters
from assistant.store.build_store import LoadedIndex
from assistant.surfaces.api_models import FilterModel


class UnknownFilterValue(ValueError):
    """Some filter value is in no document; `problems` has one sentence per value (with the valid ones)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def request_filters(model: FilterModel | None, index: Callable[[], LoadedIndex]) -> Filters | None:
    """The Filters of a request, or ValueError (an unknown field) / UnknownFilterValue.

    index() is called only when there are filters (it raises IndexUnavailable without an index).
    The facets are counted per request: a pass over the documents, not the chunks.
    """
    if model is None:
        return None
    filters = Filters.from_json(model.model_dump(exclude_none=True))
    if filters:
        problems = unknown_filter_values(filters, facets(index()))
        if problems:
            raise UnknownFilterValue(problems)
    return filters
