"""Row validation as Ibis expressions: typed values plus, per field, the reason a value is bad.

Each field gets a ``_problem_<field>`` column that is null when the value is fine, so one pass
over the staged rows both converts the good rows and explains every bad one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt

from moments.ingest.readers import LINE
from moments.judge.evidence import number_text
from moments.store import memtable
from moments.store.schema import TS, EventField, EventKind

PROBLEM = "_problem_"
BAD = "_bad"
# a time followed by an ISO 8601 offset or Z, e.g. 14:05+02:00, 14:05:00.5-0500, 14:05:00Z
# (the time is required: a bare date such as 2026-03-07 ends in "-07", which is no offset)
ZONE_RE = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
ISO_DATE_RE = r"^\d{4}-\d{2}-\d{2}"


@dataclass(frozen=True)
class Rules:
    """What the store knows that rows are checked against."""

    moments: frozenset[str]
    scales: dict[str, tuple[int, int]] = field(default_factory=dict)  # moment -> (min, max)
    measures: frozenset[str] = frozenset()
    timezone: str | None = None


_NAIVE = dt.Timestamp()


# ibis reads a UDF's input and output dtypes from its annotations, which mypy cannot follow
@ibis.udf.scalar.builtin(name="timezone")
def _in_zone(zone: str, ts: _NAIVE) -> TS:  # type: ignore[valid-type]
    """Interpret a zone-less timestamp as local time in ``zone`` (DuckDB and PostgreSQL)."""


def _quoted(v: ibis.Value) -> ibis.StringValue:
    return "'" + v.cast(dt.string) + "'"


def _check_timestamp(src: ibis.Value, f: EventField, rules: Rules) -> tuple[ibis.Value, ibis.Value]:
    t = src.type()
    if t.is_timestamp():
        if t.timezone is not None:
            return src.cast(TS), ibis.null(dt.string)
        if rules.timezone:
            return _in_zone(rules.timezone, src), ibis.null(dt.string)
        return src.cast(TS), ibis.ifelse(
            src.notnull(),
            ibis.literal(
                "timestamp column has no time zone; write it with one, or pass --timezone ZONE"
            ),
            ibis.null(dt.string),
        )
    if t.is_date():
        return src.cast(TS), ibis.ifelse(
            src.notnull(), ibis.literal("a date without a time"), ibis.null(dt.string)
        )
    raw = src.cast(dt.string).strip()
    # only what starts like an ISO date is parsed: engines differ on the rest (PostgreSQL reads
    # 'yesterday' or 'now' as times)
    s = ibis.ifelse(raw.re_search(ISO_DATE_RE), raw, ibis.null(dt.string))
    has_zone = s.re_search(ZONE_RE)
    aware = s.try_cast(TS)
    if rules.timezone:
        naive = s.try_cast(dt.Timestamp())
        value = ibis.ifelse(has_zone, aware, _in_zone(rules.timezone, naive))
    else:
        value = ibis.ifelse(has_zone, aware, ibis.null(TS))
    reason = ibis.cases(
        (raw.isnull(), ibis.null(dt.string)),
        (s.isnull(), _quoted(raw) + " is not an ISO 8601 timestamp"),
        (
            ~has_zone & (s.try_cast(dt.Timestamp()).notnull() | s.try_cast(dt.date).notnull())
            if not rules.timezone
            else ibis.literal(False),
            _quoted(s) + " has no time zone; add one (e.g. 2026-03-01T14:05:00+00:00 or …Z) "
            "or pass --timezone Europe/London",
        ),
        (value.isnull(), _quoted(raw) + " is not an ISO 8601 timestamp"),
        else_=ibis.null(dt.string),
    )
    return value, reason


def _check(src: ibis.Value, f: EventField, rules: Rules) -> tuple[ibis.Value, ibis.Value]:
    """(typed value, reason or null) for one field."""
    none = ibis.null(dt.string)
    if f.type == "timestamp":
        value, reason = _check_timestamp(src, f, rules)
    elif f.type == "float":
        if src.type().is_numeric():
            value, reason = src.cast(dt.float64), none
        else:
            s = src.cast(dt.string).strip()
            value = s.try_cast(dt.float64)
            reason = ibis.ifelse(
                s.notnull() & value.isnull(), _quoted(s) + " is not a number", none
            )
    else:
        value = src.cast(dt.string)
        reason = none
        if f.choices:
            allowed = ", ".join(f.choices)
            reason = ibis.ifelse(
                value.notnull() & ~value.isin(f.choices),
                _quoted(value) + f" is not one of: {allowed}",
                none,
            )
    if f.required:
        reason = ibis.ifelse(value.isnull() & src.isnull(), ibis.literal("is missing"), reason)
    return value, reason


def validated(
    raw: ibis.Table, kind: EventKind, measures: Sequence[str], rules: Rules
) -> ibis.Table:
    """Typed columns for the kind's fields and measures, ``_problem_*`` columns and ``_bad``."""
    cols: dict[str, ibis.Value] = {LINE: raw[LINE]}
    problems: dict[str, ibis.Value] = {}
    for f in kind.fields:
        src = raw[f.name] if f.name in raw.columns else ibis.null(dt.string)
        cols[f.name], problems[f.name] = _check(src, f, rules)
    if kind.moment_field and kind.moment_field in cols:
        m = cols[kind.moment_field]
        known = sorted(rules.moments)
        hint = ", ".join(known[:8]) + (" …" if len(known) > 8 else "")
        problems[kind.moment_field] = ibis.ifelse(
            m.notnull() & ~m.isin(known or [""]),
            "unknown moment id "
            + _quoted(m)
            + (f"; known moments: {hint}" if known else "; no journey is registered yet")
            + " — add it to a journey (moments journey add) or map it to a known id",
            problems[kind.moment_field],
        )
    for name in measures:
        src = raw[name]
        if src.type().is_numeric():
            cols[name], problems[name] = src.cast(dt.float64), ibis.null(dt.string)
        else:
            s = src.cast(dt.string).strip()
            cols[name] = s.try_cast(dt.float64)
            problems[name] = ibis.ifelse(
                s.notnull() & cols[name].isnull(),
                _quoted(s) + " is not a number",
                ibis.null(dt.string),
            )
    t = raw.select(**cols, **{PROBLEM + k: v for k, v in problems.items()})
    if kind.name == "feedback" and rules.scales:
        t = _check_scale(t, rules)
    bad = ibis.literal(False)
    for k in problems:
        bad = bad | t[PROBLEM + k].notnull()
    return t.mutate(**{BAD: bad})


def _check_scale(t: ibis.Table, rules: Rules) -> ibis.Table:
    scales = memtable(
        [{"_sm": m, "_smin": lo, "_smax": hi} for m, (lo, hi) in rules.scales.items()],
        {"_sm": "string", "_smin": "float64", "_smax": "float64"},
    )
    j = t.left_join(scales, t.moment_id == scales._sm)
    score = j.score
    lo = j._smin.cast(dt.int64).cast(dt.string)
    hi = j._smax.cast(dt.int64).cast(dt.string)
    known = j.moment_id.isin(sorted(rules.moments) or [""])
    reason = ibis.cases(
        (j[PROBLEM + "score"].notnull(), j[PROBLEM + "score"]),
        (score.isnull(), ibis.null(dt.string)),
        (
            known & j._sm.isnull(),
            "moment " + _quoted(j.moment_id) + " declares no survey scale; add a 'survey' to "
            "it or to its journey",
        ),
        (
            (score < j._smin) | (score > j._smax),
            "score "
            + number_text(score)
            + " is outside the scale "
            + lo
            + "–"
            + hi
            + " of moment "
            + _quoted(j.moment_id),
        ),
        else_=ibis.null(dt.string),
    )
    return j.mutate(**{PROBLEM + "score": reason}).drop("_sm", "_smin", "_smax")


def problem_rows(checked: ibis.Table, raw: ibis.Table) -> ibis.Table:
    """One row per (bad row, field) problem: line, field, value as written, reason, event_id."""
    names = [c.removeprefix(PROBLEM) for c in checked.columns if c.startswith(PROBLEM)]
    bad = checked.filter(checked[BAD]).select(LINE, "event_id", *[PROBLEM + n for n in names])
    src = raw.select(LINE, *[raw[n].name(f"_src_{n}") for n in names if n in raw.columns])
    bad = bad.left_join(src, bad[LINE] == src[LINE]).drop(LINE + "_right")
    parts = []
    for n in names:
        sel = bad.filter(bad[PROBLEM + n].notnull())
        value = sel[f"_src_{n}"].cast(dt.string) if f"_src_{n}" in sel.columns else None
        parts.append(
            sel.select(
                line=sel[LINE].cast(dt.int64),
                field=ibis.literal(n),
                value=value if value is not None else ibis.null(dt.string),
                reason=sel[PROBLEM + n],
                event_id=sel.event_id.cast(dt.string),
            )
        )
    return ibis.union(*parts)
