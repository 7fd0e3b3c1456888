"""A postmortem written in a form → a Markdown file that follows corpus/postmortems/TEMPLATE.md.

Every rule the server checks is one the published schema states (lengths, patterns, enums), so a
form the schema calls valid is one the server accepts. Whitespace is stripped after validation.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from assistant.core.types import POSTMORTEM_SECTIONS
from assistant.text import BLANK_CHARS, NOT_BLANK, strip_blank

Outcome = Literal["lost", "stalled", "delivered-late", "delivered", "cancelled"]
SHORT = 200
LONG = 20_000
MAX_TAG_CHARS = 40
# Text fields: length limits on what is sent and a visible character (both in the schema), then
# stripped; the strip runs last, so a length limit applies to the text as sent, as the schema says.
Title = Annotated[str, Field(min_length=4, max_length=SHORT, json_schema_extra={"pattern": NOT_BLANK}),
                  AfterValidator(strip_blank)]
Short = Annotated[str, Field(min_length=1, max_length=SHORT, json_schema_extra={"pattern": NOT_BLANK}),
                  AfterValidator(strip_blank)]
Long = Annotated[str, Field(min_length=10, max_length=LONG, json_schema_extra={"pattern": NOT_BLANK}),
                 AfterValidator(strip_blank)]
Brief = Annotated[str, Field(min_length=5, max_length=LONG, json_schema_extra={"pattern": NOT_BLANK}),
                  AfterValidator(strip_blank)]
Tag = Annotated[str, Field(max_length=MAX_TAG_CHARS)]


def _date_text(value: object) -> object:
    """Only a YYYY-MM-DD string, as the schema's `format: date` says (not a number or timestamp)."""
    if isinstance(value, str) and len(value) == 10:
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError("a date as YYYY-MM-DD")


def _clean_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t.strip(BLANK_CHARS) for t in tags if t.strip(BLANK_CHARS)))


class PostmortemForm(BaseModel):
    """The front-matter fields and the five sections of a postmortem (corpus/postmortems/README.md)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^pm-[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80,
                    description="pm- then lowercase letters, digits and hyphens; also the file name")
    title: Title
    project: Short
    industry: Short
    customer_segment: Short
    phase: Short = Field(description="e.g. 试点/POC, 试用期, 合同谈判, 交付, 运维")
    outcome: Outcome
    # Any calendar date: "not in the future" cannot be stated in a JSON Schema, and a rule the
    # schema does not state is one clients cannot know (the page's date input starts at today).
    date: Annotated[dt.date, BeforeValidator(_date_text)]
    # Blank tags and repeats are dropped, not refused.
    tags: Annotated[list[Tag], AfterValidator(_clean_tags)] = Field(default_factory=list, max_length=20)
    language: Literal["zh-Hans", "zh-Hant"] = "zh-Hans"
    background: Long
    timeline: Long
    root_cause: Long
    lessons: Brief
    actions: Brief

    @property
    def relpath(self) -> str:
        return f"postmortems/{self.id}.md"

    def to_markdown(self) -> str:
        """The file: YAML front-matter as in TEMPLATE.md, then the five sections."""
        front = {
            "id": self.id, "title": self.title, "project": self.project, "industry": self.industry,
            "customer_segment": self.customer_segment, "phase": self.phase, "outcome": self.outcome,
            "date": self.date, "tags": self.tags, "sample": False, "doc_type": "postmortem",
            "language": self.language,
        }
        header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=None)
        body = "\n".join(f"## {heading}\n\n{getattr(self, name).strip()}\n" for name, heading in POSTMORTEM_SECTIONS)
        return f"---\n{header}---\n\n{body}"
