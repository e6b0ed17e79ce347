"""Judge every lived moment: the customer's answer, else the expectation standard, else words.

Judgements are derived state: each run recomputes the whole ``judgements`` table from the
events and the current journeys in one transaction, so re-judging is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from moments.journey.model import Journey
from moments.judge.evidence import rule_valence, standard_table, survey_table, survey_valence
from moments.store import Store, memtable
from moments.store.schema import VALENCE_SCORE
from moments.text.registry import TextItem, TextJudge

CONFIDENCE = {"survey": 1.0, "rule": 0.9}
LIVED_COLUMNS = (
    "lived_id",
    "customer_id",
    "moment_id",
    "occurred_at",
    "channel",
    "employee_id",
    "location_id",
)
TEXT_BATCH = 5_000
TEXT_VERDICTS = ibis.schema(
    {"lived_id": "string", "t_valence": "string", "t_confidence": "float64", "t_reason": "string"}
)


@dataclass
class JudgeReport:
    lived: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_valence: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        src = ", ".join(f"{k} {v}" for k, v in sorted(self.by_source.items()))
        val = ", ".join(f"{k} {v}" for k, v in sorted(self.by_valence.items()))
        return f"{self.lived} lived moments judged (by source: {src}; by valence: {val})"


def lived_moments(store: Store, answered: ibis.Table | None = None) -> ibis.Table:
    """Every lived moment: each interaction, plus each answer not tied to a stored interaction.

    ``answered``: :func:`answers` already computed (a large judgement works it out once)."""
    i = store.table("interactions")
    a = answers(store) if answered is None else answered
    from_i = i.select(
        lived_id=i.event_id,
        customer_id=i.customer_id,
        moment_id=i.moment_id,
        occurred_at=i.occurred_at,
        channel=i.channel,
        employee_id=i.employee_id,
        location_id=i.location_id,
    )
    orphan = a.filter(a.orphan)
    from_f = orphan.select(
        lived_id=orphan.lived_id,
        customer_id=orphan.customer_id,
        moment_id=orphan.moment_id,
        occurred_at=orphan.occurred_at,
        channel=ibis.null(dt.string),
        employee_id=ibis.null(dt.string),
        location_id=ibis.null(dt.string),
    )
    return ibis.union(from_i, from_f).select(*LIVED_COLUMNS)


def answers(store: Store) -> ibis.Table:
    """Survey answers with the ``lived_id`` they judge: their interaction when it is stored,
    else the answer itself (``orphan``: a lived moment of its own, see :func:`lived_moments`)."""
    f = store.table("feedback")
    i = store.table("interactions").select(_stored="event_id")
    j = f.left_join(i, f.interaction_id == i._stored)
    orphan = j._stored.isnull()
    return j.mutate(lived_id=ibis.ifelse(orphan, j.event_id, j.interaction_id), orphan=orphan).drop(
        "_stored"
    )


PART_SIZE = 2_000_000  # lived moments judged at once
SAMPLE_PER_PART = 200  # keys sampled per part to place the parts' bounds
_KEY = 13  # the sort key's length with its separator: 12 digits of epoch seconds, then '|'

Part = tuple[str | None, str | None]
"""A range of lived_ids: from the first (inclusive) to the second (exclusive); None: open."""


def in_part(key: ibis.StringValue, part: Part | None) -> ibis.BooleanValue:
    """Whether ``key`` falls in ``part`` (None: every key).

    A range, not a hash: the engines test it while they read a table (DuckDB, Parquet) and
    fetch nothing else for the rows outside, so a part costs a scan of one column."""
    lo, hi = part or (None, None)
    if lo is not None and hi is not None:
        return (key >= lo) & (key < hi)
    if lo is not None:
        return key >= lo
    if hi is not None:
        return key < hi
    return ibis.literal(True)


def key_ranges(keys: ibis.Table, rows: int, size: int) -> list[Part | None]:
    """Ranges of ``keys.key`` holding about ``size`` of ``rows`` keys each, from a sample.

    The bounds are sorted by the engine itself, so the ranges follow its collation: every key
    falls in exactly one range, whatever its characters."""
    wanted = -(-rows // size)
    if wanted <= 1:
        return [None]
    every = max(1, rows // (SAMPLE_PER_PART * wanted))
    k = keys.key
    sample = keys.filter((k.hash() % every) == 0) if every > 1 else keys
    got = sample.select("key").order_by("key").to_pyarrow()["key"].to_pylist()
    bounds: list[str] = []
    for i in range(1, wanted):
        b = got[i * len(got) // wanted] if got else None
        if b is not None and (not bounds or b != bounds[-1]):
            bounds.append(b)
    edges = [None, *bounds, None]
    return list(pairwise(edges)) if bounds else [None]


def words(
    store: Store,
    sep: str = "\n",
    part: Part | None = None,
    answered: ibis.Table | None = None,
) -> ibis.Table:
    """The words about each lived moment (lived_id, text, said_at): comments on interactions
    and survey-answer comments, several texts about one moment joined with ``sep``."""
    c = store.table("comments")
    c = c.filter(c.interaction_id.notnull())
    f = answers(store) if answered is None else answered
    f = f.filter(f.comment.notnull())
    both = ibis.union(
        c.select(lived_id=c.interaction_id, text=c.text, said_at=c.occurred_at),
        f.select(lived_id=f.lived_id, text=f.comment, said_at=f.occurred_at),
    )
    both = both.filter(in_part(both.lived_id, part))
    # in the order they were said (then by text): the same words read the same on every run.
    # Spark has no ordered string aggregation, so each text is collected behind a sortable
    # key (zero-padded epoch seconds), the list is sorted and the keys are cut off again.
    key = both.said_at.epoch_seconds().cast("int64").cast("string").lpad(_KEY - 1, "0")
    g = both.group_by("lived_id").agg(
        parts=(key + "|" + both.text).collect(), said_at=both.said_at.max()
    )
    return g.select(
        "lived_id",
        text=g.parts.sort().map(lambda s: s.substr(_KEY)).join(sep),
        said_at=g.said_at,
    )


def _texts(
    store: Store,
    pending: ibis.Table,
    part: Part | None = None,
    answered: ibis.Table | None = None,
) -> ibis.Table:
    """Words about lived moments still without a verdict."""
    j = pending.join(words(store, part=part, answered=answered), "lived_id")
    return j.select("lived_id", "moment_id", "text")


def _text_valence(
    store: Store,
    pending: ibis.Table,
    judge: TextJudge,
    progress: Callable[[int], None] | None,
    part: Part | None = None,
    answered: ibis.Table | None = None,
) -> pa.Table:
    rows = _texts(store, pending, part, answered).order_by("lived_id").to_pyarrow().to_pylist()
    items = [TextItem(r["lived_id"], r["moment_id"], r["text"]) for r in rows]
    out: list[dict[str, object]] = []
    for start in range(0, len(items), TEXT_BATCH):
        batch = items[start : start + TEXT_BATCH]
        for v in judge.judge(batch):
            if v.valence not in VALENCE_SCORE:
                raise ValueError(f"text backend '{judge.name}' returned valence {v.valence!r}")
            out.append(
                {
                    "lived_id": v.lived_id,
                    "t_valence": v.valence,
                    "t_confidence": float(v.confidence),
                    "t_reason": f"{judge.name}: {v.reason}",
                }
            )
        if progress:
            progress(len(batch))
    return pa.Table.from_pylist(out, schema=TEXT_VERDICTS.to_pyarrow())


def judgements_expr(
    store: Store,
    journeys: Sequence[Journey],
    text_judge: TextJudge | None = None,
    judged_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    lived_ids: Sequence[str] | None = None,
    part: Part | None = None,
    answered: ibis.Table | None = None,
) -> ibis.Table:
    """The judgements table as an expression (materialised by :func:`judge`); with ``part``,
    only the lived moments whose lived_id is in that range. ``answered``: :func:`answers`
    already computed, so that no part joins the answers to every interaction again."""
    ans = answers(store) if answered is None else answered
    lived = lived_moments(store, ans)
    lived = lived.filter(in_part(lived.lived_id, part))
    if lived_ids is not None:
        lived = lived.filter(lived.lived_id.isin(list(lived_ids) or [""]))
    standards = standard_table(journeys)
    surveys = survey_table(journeys)
    measures = store.table("measures")
    # the partition is applied to each input, so no step holds more than its part
    sv = survey_valence(lived, ans.filter(in_part(ans.lived_id, part)), surveys)
    rv = rule_valence(lived, measures.filter(in_part(measures.event_id, part)), standards)
    j = lived.left_join(sv, "lived_id").drop("lived_id_right")
    j = j.left_join(rv, "lived_id").drop("lived_id_right")
    if text_judge is not None:
        pending = j.filter(j.s_valence.isnull() & j.r_valence.isnull()).select(
            "lived_id", "moment_id"
        )
        tv = ibis.memtable(_text_valence(store, pending, text_judge, progress, part, ans))
    else:
        tv = memtable([], TEXT_VERDICTS)
    j = j.left_join(tv, "lived_id").drop("lived_id_right")

    known = store.table("moments").select(k_moment="moment_id")
    j = j.left_join(known, j.moment_id == known.k_moment)
    has_standard = j.moment_id.isin(standards.r_moment)
    # a join, not IN (subquery): PostgreSQL runs a large IN as a nested scan per row
    texted = (
        _texts(store, lived.select("lived_id", "moment_id"), part, ans)
        .select(w_lived="lived_id")
        .distinct()
    )
    j = j.left_join(texted, j.lived_id == texted.w_lived)
    has_words = j.w_lived.notnull()
    unknown_reason = ibis.cases(
        (j.k_moment.isnull(), "no judgement: the moment is not in any registered journey"),
        (
            has_words & ibis.literal(text_judge is None),
            "no survey answer or measured standard; there are words about it but no text judge "
            "is configured (train one with 'moments text train' and set MOMENTS_TEXT_MODEL)",
        ),
        (has_standard, "no evidence: no survey answer and the standard's measure was not recorded"),
        else_="no evidence: no survey answer, and the moment has no expectation standard",
    )
    source = ibis.cases(
        (j.k_moment.isnull(), "none"),
        (j.s_valence.notnull(), "survey"),
        (j.r_valence.notnull(), "rule"),
        (j.t_valence.notnull(), "text"),
        else_="none",
    )
    valence = source.cases(
        ("survey", j.s_valence),
        ("rule", j.r_valence),
        ("text", j.t_valence),
        else_="unknown",
    )
    confidence = source.cases(
        ("survey", CONFIDENCE["survey"]),
        ("rule", CONFIDENCE["rule"]),
        ("text", j.t_confidence),
        else_=ibis.null(dt.float64),
    )
    reason = source.cases(
        ("survey", j.s_reason),
        ("rule", j.r_reason),
        ("text", j.t_reason),
        else_=unknown_reason,
    )
    score = valence.cases(*VALENCE_SCORE.items(), else_=ibis.null(dt.int8)).cast(dt.int8)
    return j.select(
        *LIVED_COLUMNS,
        valence=valence,
        score=score,
        source=source,
        confidence=confidence,
        reason=reason,
        judged_at=ibis.literal(judged_at or datetime.now(UTC), dt.Timestamp(timezone="UTC")),
    )


def judge(
    store: Store,
    journeys: Sequence[Journey],
    text_judge: TextJudge | None = None,
    progress: Callable[[int], None] | None = None,
    lived_ids: Sequence[str] | None = None,
) -> JudgeReport:
    """Recompute judgements in one transaction: all of them, or only those of ``lived_ids``
    (e.g. the moment a survey answer just arrived for). Returns counts by source and valence
    of the judgements recomputed."""
    if lived_ids is None:
        # a large store is judged part by part (ranges of lived_ids): the steps that hold
        # whole groups in memory then hold one part at a time. Interactions plus answers
        # bound the lived moments from above: enough to size the parts.
        lived = store.count("interactions") + store.count("feedback")
        with store.transaction():
            store.clear("judgements")
            # every part needs the answers' lived moments: join the answers to the
            # interactions once, not once per part (each join reads every interaction)
            answered = (
                store.materialize(answers(store), "lived_id", -(-lived // PART_SIZE))
                if lived > PART_SIZE
                else None
            )
            try:
                keys = lived_moments(store, answered).select(key="lived_id")
                for part in key_ranges(keys, lived, PART_SIZE):
                    expr = judgements_expr(
                        store, journeys, text_judge, progress=progress, part=part, answered=answered
                    )
                    # a part's tasks already write big files: no second shuffle to merge them
                    store.append("judgements", expr, rebalance=False)
            finally:
                if answered is not None:
                    store.drop_temp(answered)
        store.analyze("judgements")
        t = store.table("judgements")
    else:
        expr = judgements_expr(store, journeys, text_judge, progress=progress, lived_ids=lived_ids)
        fresh = store.materialize(expr)
        try:
            with store.transaction():
                store.delete_in("judgements", "lived_id", list(lived_ids))
                store.append("judgements", fresh)
        finally:
            store.drop_temp(fresh)
        t = store.table("judgements")
        t = t.filter(t.lived_id.isin(list(lived_ids) or [""]))
    report = JudgeReport(lived=int(t.count().to_pyarrow().as_py()))
    report.by_source = {
        r["source"]: r["n"] for r in t.group_by("source").agg(n=t.count()).to_pyarrow().to_pylist()
    }
    report.by_valence = {
        r["valence"]: r["n"]
        for r in t.group_by("valence").agg(n=t.count()).to_pyarrow().to_pylist()
    }
    return report
