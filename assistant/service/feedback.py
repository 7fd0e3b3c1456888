"""Answer feedback (👍/👎 with a comment) from every surface, for curation and export."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from assistant.service.db import Database, _now, feedback


class FeedbackStore:
    """Ratings of answers over the shared database."""

    db: Database

    def add_feedback(self, **values: Any) -> int:
        self.db.check_writable()
        values.setdefault("created_at", _now())
        for key in ("citations_json", "config_json"):
            if not isinstance(values.get(key, ""), str):
                values[key] = json.dumps(values[key], ensure_ascii=False)
        with self.db.engine.begin() as conn:
            result = conn.execute(insert(feedback).values(**values))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def list_feedback(self) -> list[dict[str, Any]]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(feedback).order_by(feedback.c.id)).mappings().all()
        return [_feedback_json(r) for r in rows]


def _feedback_json(row: Any) -> dict[str, Any]:
    data = dict(row)
    data["citations"] = json.loads(data.pop("citations_json") or "[]")
    data["config"] = json.loads(data.pop("config_json") or "{}")
    data["created_at"] = data["created_at"].isoformat()
    return data
