"""Which Slack deliveries were already taken, in SQL, so retries and duplicates never answer twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from assistant.service.db import create_schema

slack_metadata = MetaData()

slack_deliveries = Table(
    "slack_deliveries", slack_metadata,
    Column("key", String(255), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)


class DeliveryLedger:
    """Claim keys (event ids, channel:ts) exactly once, across threads and processes sharing the DB."""

    KEEP = dt.timedelta(days=2)  # Slack retries for minutes; two days is ample.

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_schema(engine, slack_metadata)  # every server worker does this on a fresh database

    def claim(self, *keys: str) -> bool:
        """True when none of keys was claimed before (and now all are); False for a duplicate."""
        now = dt.datetime.now(dt.UTC)
        try:
            with self.engine.begin() as conn:
                # The primary key makes the database the arbiter: concurrent claimers get one winner.
                conn.execute(insert(slack_deliveries), [{"key": k[:255], "received_at": now} for k in keys])
        except IntegrityError:
            return False
        return True

    def prune(self) -> int:
        """Forget deliveries older than KEEP; returns how many rows went."""
        cutoff = dt.datetime.now(dt.UTC) - self.KEEP
        with self.engine.begin() as conn:
            result = conn.execute(delete(slack_deliveries).where(slack_deliveries.c.received_at < cutoff))
        return int(result.rowcount or 0)
