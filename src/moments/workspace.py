"""The library API: one object per store, the same calls the CLI and web app make."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import ibis
import pandas as pd
import pyarrow as pa

from moments import analytics
from moments.access.roles import LOCAL, Principal
from moments.analytics import consistency as consistency_mod
from moments.analytics import drivers as drivers_mod
from moments.analytics import impact as impact_mod
from moments.analytics import risk as risk_mod
from moments.analytics.scorecard import _check_filters, filtered
from moments.analytics.weakest import weakest_link
from moments.errors import NotFound
from moments.ingest import LoadReport, Rules, event_kind, load_file, load_rows
from moments.journey.catalog import JourneyChange, register_journey, registered_journeys
from moments.journey.loader import read_text
from moments.journey.model import Journey, Moment
from moments.judge import JudgeReport, judge
from moments.judge.engine import words
from moments.settings import Settings
from moments.store import Store
from moments.text import registry as text_registry

When = date | datetime | str | None
Filter = str | Sequence[str] | None


class Workspace:
    """A store of journeys and events, with loading, judging and analytics.

    >>> ws = moments.open("acme.duckdb")
    >>> ws.add_journey("store-visit.yaml")
    >>> ws.load("feedback.csv", kind="feedback")
    >>> ws.judge()
    >>> ws.scorecard(by="moment").to_pandas()
    """

    def __init__(
        self, store: Store, settings: Settings | None = None, principal: Principal = LOCAL
    ) -> None:
        self.store = store
        self.settings = settings or Settings()
        # who is acting: the audit log names them; a scoped workspace narrows what they read
        self.principal = principal
        self._journeys: list[Journey] | None = None
        self._journeys_at = 0
        # bumped by every write through this workspace (or one scoped from it), so callers can
        # cache what they read
        self._counter: list[int] = [0]
        self._scoped: dict[Principal, Workspace] = {}

    @property
    def generation(self) -> int:
        return self._counter[0]

    @generation.setter
    def generation(self, value: int) -> None:
        self._counter[0] = value

    def scoped(self, principal: Principal) -> Workspace:
        """This store as ``principal`` sees it: every table narrowed to their scope (a moment
        owner: their moments; a coach: their team), writes limited to what the role may change.
        Kept per principal, sharing this workspace's generation."""
        from moments.access.scope import ScopedStore

        if principal == self.principal:
            return self
        found = self._scoped.get(principal)
        if found is None:
            # an admin sees the whole store; the principal still names them in the audit log
            store: Any = (
                self.store if principal.role == "admin" else ScopedStore(self.store, principal)
            )
            found = Workspace(store, self.settings, principal)
            found._counter = self._counter
            self._scoped[principal] = found
        return found

    def _writer(self, table: str) -> Store:
        """The store to write ``table`` through: the whole store, once the scope allows it
        (de-duplication must see every row, not only the scope's)."""
        from moments.access.scope import ScopedStore

        if isinstance(self.store, ScopedStore):
            self.store.check_write(table)
            return self.store.unscoped
        return self.store

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        """Engine, location, schema version, the size of every table and the engine's memory cap."""
        return {
            "engine": self.store.engine,
            "location": self.store.location,
            "schema_version": self.store.meta("schema_version"),
            "journeys": [j.id for j in self.journeys()],
            "tables": self.store.sizes(),
            "memory_limit": self.store.memory_limit(),
        }

    # -- journeys --------------------------------------------------------------------------
    def add_journey(self, path: str | Path) -> JourneyChange:
        """Register (or update) a journey map from its YAML file."""
        from moments.governance import audit

        text = read_text(path)
        try:
            with self.store.transaction():  # the journey and its audit entry, or neither
                change = register_journey(self.store, text, str(path))
                audit.record(
                    self.store,
                    self.principal.user_id,
                    "journey.add",
                    change.journey_id,
                    {
                        "digest": hashlib.sha256(text.encode()).hexdigest()[:16],
                        "status": change.status,
                        "file": str(path),
                    },
                )
            return change
        finally:
            self._journeys = None
            self.generation += 1

    def journeys(self) -> list[Journey]:
        # kept until the store changes through this workspace or one sharing its generation
        if self._journeys is None or self._journeys_at != self.generation:
            self._journeys = registered_journeys(self.store)
            self._journeys_at = self.generation
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
        """Load a CSV, JSONL or Parquet file of events of one kind; returns what happened
        (recorded in the audit log with the load, in its transaction)."""
        self.generation += 1
        return load_file(
            self._audited(event_kind(kind).table),
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
        self,
        kind: str,
        rows: pa.Table | Sequence[Mapping[str, Any]],
        source: str = "<rows>",
        *,
        audit: bool = True,
    ) -> LoadReport:
        """Add events held in memory (Arrow or dicts), validated and de-duplicated like a file;
        recorded in the audit log as a load unless ``audit=False`` (a caller that records its
        own, more telling entry in the same transaction, such as a case's change)."""
        self.generation += 1
        table = event_kind(kind).table
        writer = self._audited(table) if audit else self._writer(table)
        return load_rows(writer, rows, kind, self.rules(), source)

    def _audited(self, table: str) -> Store:
        """The writer for ``table`` that records each load in the audit log as this principal."""
        from moments.governance.audit import Audited

        return cast(Store, Audited(self._writer(table), self.principal.user_id))

    def events(self, kind: str) -> ibis.Table:
        """The stored events of one kind: interaction, feedback, comment, outcome, case, contact."""
        return self.store.table(event_kind(kind).table)

    def quarantine(self, load_id: str | None = None) -> ibis.Table:
        q = self.store.table("quarantine")
        return q.filter(q.load_id == load_id) if load_id else q

    def loads(self) -> ibis.Table:
        return self.store.table("loads").order_by("started_at")

    # -- governance --------------------------------------------------------------------------
    def audit(
        self,
        action: str | None = None,
        actor: str | None = None,
        since: date | datetime | None = None,
        limit: int | None = None,
    ) -> ibis.Table:
        """The audit log, newest first (admins only): who loaded, changed, exported, erased;
        ``action`` matches its sub-actions too (``case`` → ``case.closed``)."""
        from moments.access.roles import require
        from moments.governance.audit import entries

        require(self.principal, "admin")
        return entries(self._writer("audit"), action, actor, since, limit)

    def customer_data(self, customer_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every stored row about one customer, per table, ready for JSON (admins only); the
        export is recorded in the audit log. Empty when the store holds nothing about them."""
        from moments.access.roles import require
        from moments.governance.personal import export_customer

        require(self.principal, "admin")
        return export_customer(self._writer("audit"), customer_id, self.principal.user_id)

    def erase_customer(self, customer_id: str) -> dict[str, int]:
        """Erase a customer's personal data, keeping every count (admins only); returns the
        rows touched per table. See :func:`moments.governance.personal.erase_customer`."""
        from moments.access.roles import require
        from moments.governance.personal import erase_customer

        require(self.principal, "admin")
        try:
            return erase_customer(self._writer("audit"), customer_id, self.principal.user_id)
        finally:
            self.generation += 1

    # -- judgement -------------------------------------------------------------------------
    def judge(
        self,
        text_backend: str | None = None,
        progress: Callable[[int], None] | None = None,
        lived_ids: Sequence[str] | None = None,
    ) -> JudgeReport:
        """Judge every lived moment again (or only ``lived_ids``) from the events and journeys."""
        backend = text_registry.get(
            text_backend or self.settings.text_backend, self.settings.text_model
        )
        self.generation += 1
        return judge(self.store, self.journeys(), backend, progress, lived_ids)

    def judgements(self) -> ibis.Table:
        return self.store.table("judgements")

    def profiles(self) -> ibis.Table:
        """Each customer's current profile: their latest ``customer`` event."""
        c = self.store.table("customers")
        ranked = c.mutate(
            _n=ibis.row_number().over(
                group_by="customer_id", order_by=[ibis.desc("occurred_at"), ibis.desc("event_id")]
            )
        )
        return ranked.filter(ranked._n == 0).drop("_n")

    def _judged(self, by: str | Sequence[str] | None, equals: Mapping[str, Filter]) -> ibis.Table:
        """Judgements, with the customer's current segment when the question needs it."""
        dims = [by] if isinstance(by, str) else list(by or [])
        j = self.judgements()
        if "segment" in dims or equals.get("segment") is not None:
            seg = self.profiles().select("customer_id", "segment")
            j = j.left_join(seg, "customer_id").drop("customer_id_right")
        return j

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
            self._judged(by, equals), self.moments(), by, start=start, end=end, **equals
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
            self._judged(by, equals), self.moments(), by, period, start=start, end=end, **equals
        )

    def customers(self, start: When = None, end: When = None) -> ibis.Table:
        """Per customer: negatives and their weakest moment."""
        return analytics.customers(self.judgements(), self.moments(), start, end)

    # -- the method's analyses -------------------------------------------------------------
    def episodes(
        self, outcome: str = "repeat_purchase", horizon: int = 90, threshold: float = 0.75
    ) -> pd.DataFrame:
        """Customer-days with their moments' valence and whether ``outcome`` followed (for a
        satisfaction / recommendation answer: whether it reached ``threshold`` on 0–1)."""
        return drivers_mod.episodes(
            self.judgements(), self.events("outcome"), outcome, horizon, threshold
        )

    def drivers(
        self,
        outcome: str = "repeat_purchase",
        horizon: int = 90,
        seed: int = 7,
        threshold: float = 0.75,
    ) -> pd.DataFrame:
        """Key moments: each moment's share of the explained outcome, with a 95 % interval,
        next to the importance the journey states (1–5) and the rank of each."""
        d = drivers_mod.drivers(self.episodes(outcome, horizon, threshold), seed=seed)
        stated = {m.id: m.importance for j in self.journeys() for _, _, m in j.moments()}
        d["stated_importance"] = d["moment"].map(stated)
        d["derived_rank"] = range(1, len(d) + 1)
        d["stated_rank"] = (
            d["stated_importance"].rank(ascending=False, method="min").astype("Int64")
        )
        return d

    def basics(
        self, outcome: str = "repeat_purchase", horizon: int = 90, threshold: float = 0.75
    ) -> pd.DataFrame:
        """Penalty–reward per moment: basic or differentiator, against the declared kind."""
        declared = {m.id: m.kind for j in self.journeys() for _, _, m in j.moments()}
        return drivers_mod.penalty_reward(self.episodes(outcome, horizon, threshold), declared)

    def weakest_link(
        self, outcome: str = "repeat_purchase", horizon: int = 90, threshold: float = 0.75
    ) -> pd.DataFrame:
        """Is the outcome better explained by an episode's weakest moment or its average?"""
        return weakest_link(self.episodes(outcome, horizon, threshold))

    def local_timezone(self) -> str:
        """Where the moments happen: the first journey's ``timezone`` (UTC if none)."""
        journeys = self.journeys()
        return journeys[0].timezone if journeys else "UTC"

    def consistency(self, timezone: str | None = None) -> pd.DataFrame:
        """Per moment × location / employee / weekday / hour / load: spread of the negative
        share, chi-square p and Cramér's V."""
        return consistency_mod.spread(self.judgements(), timezone or self.local_timezone())

    def collapses(self, timezone: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """Where and when moments collapse (e.g. checkout at one store on Saturdays)."""
        return consistency_mod.collapses(
            self.judgements(), timezone or self.local_timezone(), alpha=alpha
        )

    def dazzle_then_disappoint(self, horizon: int = 90) -> pd.DataFrame:
        """What follows a first negative at a moment after a positive there, vs without one."""
        return consistency_mod.dazzle_then_disappoint(
            self.judgements(), self.events("outcome"), horizon
        )

    def negatives_curve(self) -> pd.DataFrame:
        """Defection by number of negative moments: does "fewer than three" hold?"""
        return risk_mod.negatives_curve(self.judgements(), self.events("outcome"))

    def risk_model(
        self, horizon: int = 90, window: int = risk_mod.WINDOW, target: str | None = None
    ) -> risk_mod.RiskModel:
        """Fit the defection (or lapse) model on a past snapshot, validated out of sample."""
        return risk_mod.fit(self.judgements(), self.events("outcome"), horizon, window, target)

    def risk(
        self, horizon: int = 90, window: int = risk_mod.WINDOW, target: str | None = None
    ) -> pd.DataFrame:
        """Every active customer's risk of defecting in the next ``horizon`` days, with reasons.

        The fitted model's validation is in ``.attrs["model"]`` (a :class:`RiskModel`)."""
        fitted = self.risk_model(horizon, window, target)
        out = risk_mod.score(fitted, self.judgements(), self.events("outcome"))
        out.attrs["model"] = fitted
        return out

    def impact(self, horizon: int = 90) -> pd.DataFrame:
        """The four R's per moment and valence, and what a year of negatives costs."""
        return impact_mod.impact(self.judgements(), self.events("outcome"), horizon)

    # -- the dashboard's questions ---------------------------------------------------------
    def moment(self, moment_id: str) -> tuple[Journey, Moment]:
        """A registered moment and its journey; ``NotFound`` if no journey has it."""
        sees = getattr(self.store, "sees_moment", None)
        for j in self.journeys():
            for _, _, m in j.moments():
                if m.id == moment_id and (sees is None or sees(moment_id)):
                    return j, m
        raise NotFound(f"no moment '{moment_id}' in any registered journey")

    def owner(self, owner_id: str) -> tuple[str, list[str]]:
        """An owner's name and the ids of the moments they own; ``NotFound`` if none."""
        rows = (
            self.moments()
            .filter(lambda t: t.owner_id == owner_id)
            .order_by(["journey_id", "position"])
            .to_pyarrow()
            .to_pylist()
        )
        if not rows:
            raise NotFound(f"no owner '{owner_id}' owns a moment in any registered journey")
        return rows[0]["owner"], [r["moment_id"] for r in rows]

    def totals(self, start: When = None, end: When = None, **equals: Filter) -> ibis.Table:
        """One row: how many lived moments, how they landed, coverage and net."""
        self._check(equals)
        return analytics.totals(self._lived(equals), start=start, end=end, **self._own(equals))

    def key_moments(self, start: When = None, end: When = None, **equals: Filter) -> ibis.Table:
        return analytics.key_moments(self.scorecard("moment", start, end, **equals))

    def weakest_moments(
        self, start: When = None, end: When = None, limit: int = 5, **equals: Filter
    ) -> ibis.Table:
        return analytics.weakest_moments(
            self.scorecard("moment", start, end, **equals), limit=limit
        )

    def movers(self, as_of: date | None = None, weeks: int = 4, **equals: Filter) -> ibis.Table:
        """Moments whose net moved most: the last ``weeks`` weeks against the ones before."""
        return analytics.movers(
            self._judged(None, equals),
            self.moments(),
            as_of or self.last_day(),
            weeks,
            filters=equals,
        )

    def last_day(self) -> date:
        """The day after the latest lived moment (the natural end of 'the last N weeks')."""
        last = self.judgements().occurred_at.max().to_pyarrow().as_py()
        return (last.date() if last else date.today()) + timedelta(days=1)

    def evidence(
        self,
        moment_id: str | None = None,
        owner_id: str | None = None,
        valence: str | None = "negative",
        search: str | None = None,
        limit: int = 50,
        start: When = None,
        end: When = None,
        **equals: Filter,
    ) -> ibis.Table:
        """Judged lived moments with reasons and words, newest first (negatives by default)."""
        owned = self.owner(owner_id)[1] if owner_id else None
        if moment_id is not None:
            self.moment(moment_id)
        texts = words(self.store, sep=" · ")
        return analytics.evidence(
            self._judged(None, equals),
            texts,
            moment_id,
            owned,
            valence,
            search,
            limit,
            start=start,
            end=end,
            **equals,
        )

    def fix_first(
        self, owner_id: str | None = None, start: When = None, end: When = None, **equals: Filter
    ) -> ibis.Table:
        """Moments by negatives × importance (for one owner, or all)."""
        if owner_id:
            self.owner(owner_id)
            equals = {**equals, "owner_id": owner_id}
        return analytics.fix_first(self.scorecard("moment", start, end, **equals))

    # -- outreach ----------------------------------------------------------------------------
    def outreach_plan(
        self,
        offers: str | Path | None = None,
        policy: str | Path | None = None,
        horizon: int | str = 7,
        start: datetime | None = None,
        method: str = "auto",
    ) -> pd.DataFrame:
        """Who gets which offer when over the next ``horizon`` days, each with its reason,
        maximising expected value within the contact policy (default: the packaged retail
        offers and policy). Value, bound and gap are in ``.attrs["summary"]``."""
        from moments.outreach.plan import make_plan

        return make_plan(self.store, offers, policy, horizon, start, method).frame()

    def record_contacts(self, plan: pd.DataFrame) -> LoadReport:
        """Record a plan's contacts as ``contact`` events, so the policy counts them."""
        from moments.outreach.plan import contacts_from_plan

        return self.append("contact", contacts_from_plan(plan), "outreach plan")

    def _check(self, equals: Mapping[str, Filter]) -> None:
        _check_filters([*self.judgements().columns, "segment", *self.moments().columns], equals)

    def _own(self, equals: Mapping[str, Filter]) -> dict[str, Filter]:
        cols = [*self.judgements().columns, "segment"]
        return {k: v for k, v in equals.items() if k in cols}

    def _lived(self, equals: Mapping[str, Filter]) -> ibis.Table:
        """Judgements, narrowed to moments matching any filter on moment columns."""
        j = self._judged(None, equals)
        on_moments = {k: v for k, v in equals.items() if k not in j.columns and v is not None}
        if not on_moments:
            return j
        m = filtered(self.moments(), None, None, **on_moments)
        return j.semi_join(m, "moment_id")


def open(
    url: str | Path | None = None, settings: Settings | None = None, create: bool = True
) -> Workspace:
    """Open (or create) a store: a DuckDB file path, ``duckdb:///path``, or the configured URL."""
    settings = settings or Settings()
    store = Store.open(
        url or settings.database_url,
        create=create,
        memory_limit=settings.memory_limit,
        spark_driver_memory=settings.spark_driver_memory,
    )
    return Workspace(store, settings)
