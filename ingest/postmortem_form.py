"""A postmortem written in a form → a Markdown file that follows corpus/postmortems/TEMPLATE.md."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

Outcome = Literal["lost", "stalled", "delivered-late", "delivered", "cancelled"]
# The template's five sections, in order: (field, heading).
SECTIONS = (
    ("background", "背景"), ("timeline", "经过"), ("root_cause", "根因"),
    ("lessons", "教训"), ("actions", "行动项"),
)
SHORT = 200
LONG = 20_000


class PostmortemForm(BaseModel):
    """The front-matter fields and the five sections of a postmortem (corpus/postmortems/README.md)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^pm-[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80,
                    description="pm- then lowercase letters, digits and hyphens; also the file name")
    title: str = Field(min_length=4, max_length=SHORT)
    project: str = Field(min_length=1, max_length=SHORT)
    industry: str = Field(min_length=1, max_length=SHORT)
    customer_segment: str = Field(min_length=1, max_length=SHORT)
    phase: str = Field(min_length=1, max_length=SHORT, description="e.g. 试点/POC, 试用期, 合同谈判, 交付, 运维")
    outcome: Outcome
    date: dt.date
    tags: list[str] = Field(default_factory=list, max_length=20)
    language: Literal["zh-Hans", "zh-Hant"] = "zh-Hans"
    background: str = Field(min_length=10, max_length=LONG)
    timeline: str = Field(min_length=10, max_length=LONG)
    root_cause: str = Field(min_length=10, max_length=LONG)
    lessons: str = Field(min_length=5, max_length=LONG)
    actions: str = Field(min_length=5, max_length=LONG)

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        cleaned = [t.strip() for t in tags if t.strip()]
        if any(len(t) > 40 for t in cleaned):
            raise ValueError("a tag is longer than 40 characters")
        return list(dict.fromkeys(cleaned))

    @field_validator("date")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("the postmortem date is in the future")
        return value

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
        body = "\n".join(f"## {heading}\n\n{getattr(self, name).strip()}\n" for name, heading in SECTIONS)
        return f"---\n{header}---\n\n{body}"
