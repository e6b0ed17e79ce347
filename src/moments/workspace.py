"""The library API: one object per store, the same calls the CLI and web app make."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from moments import analytics
from moments.errors import InputError, Problem
from moments.ingest import LoadReport, Rules, event_kind, load_file, load_rows
from moments.journey.catalog import JourneyChange, register_journey, registered_journeys
from moments.journey.model import Journey
from moments.judge import JudgeReport, judge
from moments.settings import Settings
from moments.store import Store
from moments.text import registry as text_registry

When = date | datetime | str | None


class Workspace:
    """A store of journeys and events, with loading, judging and analytics.

    >>> ws = moments.open("acme.duckdb")
    >>> ws.add_journey("store-visit.yaml")
    >>> ws.load("feedback.csv", kind="feedback")
    >>> ws.judge()
    >>> ws.scorecard(by="moment").to_pandas()
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self._journeys: list[Journey] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        """Engine, location, schema version and the size of every table."""
        return {
            "engine": self.store.engine,
            "location": self.store.location,
            "schema_version": self.store.meta("schema_version"),
            "journeys": [j.id for j in self.journeys()],
            "tables": self.store.sizes(),
        }

    # -- journeys --------------------------------------------------------------------------
    def add_journey(self, path: str | Path) -> JourneyChange:
        """Register (or update) a journey map from its YAML file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(Problem("no such file", "check the path", str(p))) from None
        change = register_journey(self.store, text, str(p))
        self._journeys = None
        return change

    def journeys(self) -> list[Journey]:
        if self._journeys is None:
            self._journeys = registered_journeys(self.store)
        return self._journeys

    def moments(self) -> ibis.Table:
        """The registered moments with journey, stage, touchpoint, owner and importance."""
        return self.store.table("moments")

    def rules(self, timezone: str | None = None) -> Rules:
        journeys = self.journeys()
        scales = {}
        for j in journeys:
            for _, _, m in j.moments():
                s = j.survey_for(m)
                if s is not None:
                    scales[m.id] = (s.scale.min, s.scale.max)
        return Rules(
            moments=frozenset(m.id for j in journeys for _, _, m in j.moments()),
            scales=scales,
            measures=frozenset(k for j in journeys for k in j.measures),
            timezone=timezone or self.settings.timezone,
        )

    # -- events ----------------------------------------------------------------------------
    def load(
        self,
        path: str | Path,
        kind: str,
        *,
        mapping: Mapping[str, str] | None = None,
        ignore: Sequence[str] = (),
        format: str | None = None,
        timezone: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> LoadReport:
        """Load a CSV, JSONL or Parquet file of events of one kind; returns what happened."""
        return load_file(
            self.store,
            path,
            kind,
            self.rules(timezone),
            mapping=mapping,
            ignore=ignore,
            fmt=format,
            encoding=encoding,
            delimiter=delimiter,
            progress=progress,
        )

    def append(
        self, kind: str, rows: pa.Table | Sequence[Mapping[str, Any]], source: str = "<rows>"
    ) -> LoadReport:
        """Add events held in memory (Arrow or dicts), validated and de-duplicated like a file."""
        return load_rows(self.store, rows, kind, self.rules(), source)

    def events(self, kind: str) -> ibis.Table:
        """The stored events of one kind: interaction, feedback, comment, outcome, case, contact."""
        return self.store.table(event_kind(kind).table)

    def quarantine(self, load_id: str | None = None) -> ibis.Table:
        q = self.store.table("quarantine")
        return q.filter(q.load_id == load_id) if load_id else q

    def loads(self) -> ibis.Table:
        return self.store.table("loads").order_by("started_at")

    # -- judgement -------------------------------------------------------------------------
    def judge(
        self,
        text_backend: str | None = None,
        progress: Callable[[int], None] | None = None,
        lived_ids: Sequence[str] | None = None,
    ) -> JudgeReport:
        """Judge every lived moment again (or only ``lived_ids``) from the events and journeys."""
        backend = text_registry.get(text_backend or self.settings.text_backend)
        return judge(self.store, self.journeys(), backend, progress, lived_ids)

    def judgements(self) -> ibis.Table:
        return self.store.table("judgements")

    # -- analytics -------------------------------------------------------------------------
    def scorecard(
        self,
        by: str | Sequence[str] = "moment",
        start: When = None,
        end: When = None,
        **equals: str | Sequence[str] | None,
    ) -> ibis.Table:
        """Lived, judged, valence counts and shares, coverage and net per ``by``."""
        return analytics.scorecard(
            self.judgements(), self.moments(), by, start=start, end=end, **equals
        )

    def trend(
        self,
        by: str | Sequence[str] | None = None,
        period: str = "week",
        start: When = None,
        end: When = None,
        **equals: str | Sequence[str] | None,
    ) -> ibis.Table:
        """The scorecard per week (or day, month), optionally per another dimension."""
        return analytics.trend(
            self.judgements(), self.moments(), by, period, start=start, end=end, **equals
        )

    def customers(self, start: When = None, end: When = None) -> ibis.Table:
        """Per customer: negatives and their weakest moment."""
        return analytics.customers(self.judgements(), self.moments(), start, end)


def open(
    url: str | Path | None = None, settings: Settings | None = None, create: bool = True
) -> Workspace:
    """Open (or create) a store: a DuckDB file path, ``duckdb:///path``, or the configured URL."""
    settings = settings or Settings()
    store = Store.open(
        url or settings.database_url, create=create, memory_limit=settings.memory_limit
    )
    return Workspace(store, settings)
