"""Import a wide survey export (one row per respondent) onto a journey, as MAP.yaml says.

Per row (respondent), with event ids ``<prefix><respondent>-…`` so that importing the same file
again adds nothing:

- a **customer** profile (``-profile``), with the segment (and email …) the map names;
- per mapped moment an **interaction** (``-<moment>``) carrying the moment's measures, and a
  **feedback** answer (``-<moment>-answer``) where the rating is answered: its score on the
  journey's survey scale (labels are numbered onto it), judged missed / met / exceeded by the
  journey's bands. A blank or not-applicable answer makes no answer: the moment is lived and
  unknown (``lived: every_row``), or not lived at all (``lived: answered``);
- per outcome column an **outcome** (``-<type>``): an answer (satisfaction, recommendation,
  return_intent) rescaled to 0–1 with 1 = best, or a happening (defection …) where the answer is
  yes, dated ``days_after`` the answer;
- per comment column a **comment** (``-comment``, ``-<moment>-comment``) on the moment's
  interaction, or about the whole experience.

A row without a respondent id or a readable date makes only its profile, which is quarantined
with the reason; a bad value quarantines the one event it would become, with the export's file,
line and field, and the report locates it by the export's column as well.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from moments.errors import InputError, Problem
from moments.importers.common import (
    ImportReport,
    bad_rows,
    constant,
    join,
    load_events,
    numbers,
    text,
)
from moments.importers.exports import Export, read_export
from moments.importers.scales import AnswerScale, normal, normalised
from moments.importers.surveymap import (
    ANY,
    NOT_APPLICABLE,
    MapFile,
    Outcome,
    SurveyMap,
    check_map,
    event_suffixes,
    load_map,
    missing_columns,
    parse_date,
    raise_problems,
    rating_scale,
)
from moments.ingest.readers import LINE
from moments.journey.loader import load_journey
from moments.journey.model import Journey
from moments.workspace import Workspace

LOCATED = 200  # quarantined problems located by column, for the report
WRONG_FILE = 5  # more missing columns than this: the wrong export, said once
NULL = pa.scalar(None, pa.string())


@dataclass
class SurveyReport(ImportReport):
    respondents: dict[str, int] = field(default_factory=dict)  # per source file name
    not_applicable: dict[str, int] = field(default_factory=dict)  # per moment
    located: list[Problem] = field(default_factory=list)  # quarantined, by the export's column

    @property
    def problems(self) -> list[Problem]:
        return self.located


@dataclass
class _Tally:
    answers: int = 0
    empty: int = 0
    not_applicable: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    comments: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    no_outcome: dict[str, int] = field(default_factory=dict)


def import_survey(
    ws: Workspace,
    files: str | Path | Sequence[str | Path],
    journey: str | Path,
    survey_map: str | Path | MapFile,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    judge: bool = True,
) -> SurveyReport:
    """Import survey export(s) onto ``journey`` as ``survey_map`` (MAP.yaml) says, then judge.

    The journey file is registered (or updated) first. Every file is read and checked against
    the map before anything is loaded: a problem with the map or a missing column stops the
    import with file:line:column; a problem with a row quarantines that row's event only.
    """
    t0 = time.perf_counter()
    paths = [Path(files)] if isinstance(files, (str, Path)) else [Path(f) for f in files]
    if not paths:
        raise InputError("no export to import", "give at least one file")
    mf = survey_map if isinstance(survey_map, MapFile) else load_map(survey_map)
    j = load_journey(journey)
    raise_problems(check_map(mf, j))
    exports = [read_export(p, delimiter, encoding, sheet) for p in paths]
    for e in exports:
        raise_problems(_columns(mf, e))
    ws.add_journey(journey)

    m = mf.map
    report = SurveyReport(m.name or "survey export")
    tally = _Tally(not_applicable=dict.fromkeys(m.moments, 0))
    zone = None
    for e in exports:
        zone = m.date.timezone or (e.zones.get(m.date.column or "")) or j.timezone
        report.files.append(e.path)
        report.respondents[e.path.name] = e.rows + len(e.malformed)
        for kind, events in _events(e, m, j, zone, tally).items():
            malformed = e.malformed if kind == "customer" else ()
            report.loads += load_events(ws, kind, events, e.path, malformed)
        report.notes.append(f"read {e.path.name} as {e.describe()}")
    report.not_applicable = tally.not_applicable
    report.counts = _counts(m, j, report, tally)
    report.bad_rows = bad_rows(ws, report.loads)
    report.located = locate(ws, report, mf, exports)
    if m.date.value is not None:
        report.notes.append(f"every event is dated {m.date.value[:10]} (the export has no dates)")
    elif zone:
        report.notes.append(f"dates without a time zone are read in {zone}")
    if judge:
        report.judged = ws.judge()
    report.seconds = time.perf_counter() - t0
    return report


def _columns(mf: MapFile, e: Export) -> list[Problem]:
    """Columns the map names that the export lacks: one problem each where the map names it,
    or, when many are missing (the wrong file), one problem at the export's header."""
    named = mf.map.columns()
    missing = [c for _, c in named if c not in e.header]
    if len(missing) > WRONG_FILE:
        return [
            Problem(
                f"missing columns: {', '.join(dict.fromkeys(missing))} "
                f"({len(missing)} of the {len(named)} columns the map names)",
                f"is this the export {mf.file} was written for? (its columns: "
                f"{', '.join(e.header[:8])}{' …' if len(e.header) > 8 else ''})",
                str(e.path),
                1,
            )
        ]
    return missing_columns(mf, e.header, e.path.name) if missing else []


# -- rows into events --------------------------------------------------------------------------
def _is_na(values: pa.ChunkedArray | pa.Array, tokens: Sequence[str]) -> pa.ChunkedArray:
    """Whether each (trimmed) value is one of the not-applicable answers: numbers compare as
    numbers (``0`` is ``0.0``), words ignoring case and spaces."""
    nums, words = [], []
    for t in tokens:
        try:
            nums.append(float(t))
        except ValueError:
            words.append(normal(t))
    hit = pc.is_in(normalised(values), value_set=pa.array(words or [""], pa.string()))
    if nums:
        hit = pc.or_(hit, pc.is_in(numbers(values), value_set=pa.array(nums, pa.float64())))
    return pc.fill_null(hit, False)


def _dates(
    e: Export, m: SurveyMap, zone: str, offsets: set[int]
) -> tuple[dict[int, pa.Array], pa.Array | None]:
    """Per offset in days, each row's date as ISO 8601 text with its UTC offset (a date written
    without a zone is read in ``zone``; null where it cannot be read), and the date as written
    (None when the map gives one date for every row). Each distinct date is read once."""
    n = e.rows
    tz = ZoneInfo(zone)

    def iso(d: _dt.datetime, days: int) -> str:
        local = d if d.tzinfo is not None else d.replace(tzinfo=tz)
        return (local + _dt.timedelta(days=days)).isoformat()

    if m.date.value is not None:
        d = parse_date(m.date.value, m.date.format)
        assert d is not None  # the map's validator parsed it
        return {k: constant(iso(d, k), n) for k in offsets}, None
    raw = text(e.column(m.date.column or ""))
    uniq = pc.unique(raw).drop_null()
    parsed = [parse_date(u, m.date.format) for u in uniq.to_pylist()]
    idx = pc.index_in(raw, value_set=uniq)
    out = {}
    for k in offsets:
        texts = [None if p is None else iso(p, k) for p in parsed]
        out[k] = pc.take(pa.array(texts, pa.string()), idx)
    return out, raw


def _expected_date(m: SurveyMap) -> str:
    if m.date.format:
        return f"a date in the format {m.date.format}"
    return "an ISO 8601 date such as 2024-05-01 14:05, or give date.format in the map"


def _events(e: Export, m: SurveyMap, j: Journey, zone: str, tally: _Tally) -> dict[str, pa.Table]:
    """Events of each kind made from the export's rows, each with its row's line."""
    n = e.rows
    col = e.column
    channels = {mo.id: t.channel for _, t, mo in j.moments()}
    rid = text(col(m.respondent.column))
    cust = text(col(m.respondent.customer)) if m.respondent.customer else rid
    base = join(m.prefix(j.id), rid, "-")
    lines = col(LINE)
    offsets = {0} | {1 if o.days_after is None else o.days_after for o in m.outcomes if not o.rated}
    when, raw_date = _dates(e, m, zone, offsets)
    dated = pc.is_valid(when[0])
    keep = pc.and_(pc.and_(pc.is_valid(rid), pc.is_valid(cust)), dated)

    # the profile: one per row, so that a row without an id or a date is one problem
    profile = m.profile
    segment: pa.Array | pa.ChunkedArray = constant(None, n)
    extra: dict[str, pa.Array | pa.ChunkedArray] = {}
    if profile is not None:
        if profile.segment:
            parts = [text(col(c)) for c in profile.segment]
            joined = pc.binary_join_element_wise(*parts, profile.separator, null_handling="skip")
            segment = pc.if_else(pc.equal(joined, ""), NULL, joined)
        for key in ("email", "phone", "time_zone"):
            name = getattr(profile, key)
            if name:
                extra[key] = text(col(name))
    occurred = (
        when[0]
        if raw_date is None
        else pc.if_else(dated, when[0], _mark(raw_date, _expected_date(m)))
    )
    customers = pa.table(
        {
            "event_id": join(base, "profile"),
            "customer_id": cust,
            "occurred_at": occurred,
            "segment": segment,
            **extra,
            LINE: lines,
        }
    )

    measures = {name: c for mc in m.moments.values() for name, c in mc.measures.items()}
    interactions, feedback, lived = [], [], {}
    for mid, mc in m.moments.items():
        scale = rating_scale(m, mid, j)
        has_interaction: pa.Array | pa.ChunkedArray = keep
        if mc.rating is not None and scale is not None:
            value = text(col(mc.rating.column))
            na = _is_na(value, mc.rating.not_applicable or m.not_applicable)
            tally.not_applicable[mid] += pc.sum(na).as_py() or 0
            tally.empty += value.null_count
            answered = pc.and_(pc.is_valid(value), pc.invert(na))
            tally.answers += pc.sum(answered).as_py() or 0
            score = scale.numbers(value)
            score = pc.if_else(pc.is_valid(score), score, _mark(value, scale.expected()))
            if m.lived == "answered":
                has_interaction = pc.and_(keep, answered)
            feedback.append(
                pa.table(
                    {
                        "event_id": join(base, mid, "-answer"),
                        "customer_id": cust,
                        "moment_id": constant(mid, n),
                        "occurred_at": when[0],
                        "score": score,
                        "interaction_id": join(base, mid),
                        LINE: lines,
                    }
                ).filter(pc.and_(keep, answered))
            )
        lived[mid] = has_interaction
        cols: dict[str, pa.Array | pa.ChunkedArray] = {
            "event_id": join(base, mid),
            "customer_id": cust,
            "moment_id": constant(mid, n),
            "occurred_at": when[0],
            "channel": constant(channels[mid], n),
        }
        for name, c in measures.items():
            cols[name] = col(c.column) if name in mc.measures else constant(None, n)
            if name in mc.measures and c.missing:
                tally.missing[c.missing] = tally.missing.get(c.missing, 0)
                tally.missing[c.missing] += text(col(c.column)).null_count
        cols[LINE] = lines
        interactions.append(pa.table(cols).filter(has_interaction))

    outcomes = [_outcome(o, e, m, base, cust, when, keep, tally) for o in m.outcomes]
    comments = []
    for cm in m.comments:
        words = text(col(cm.column))
        about = cm.moment if cm.moment in m.moments else None
        on = (
            pc.if_else(lived[about], join(base, about), NULL)
            if about is not None
            else constant(None, n)
        )
        ok = pc.and_(keep, pc.is_valid(words))
        tally.comments += pc.sum(ok).as_py() or 0
        comments.append(
            pa.table(
                {
                    "event_id": join(base, cm.suffix),
                    "customer_id": cust,
                    "occurred_at": when[0],
                    "text": words,
                    "interaction_id": on,
                    "moment_id": constant(None if cm.moment == ANY else cm.moment, n),
                    "channel": constant(channels.get(cm.moment), n),
                    LINE: lines,
                }
            ).filter(ok)
        )
    out = {"customer": customers}
    if interactions:
        out["interaction"] = pa.concat_tables(interactions)
    if feedback:
        out["feedback"] = pa.concat_tables(feedback)
    if outcomes:
        out["outcome"] = pa.concat_tables(outcomes)
    if comments:
        out["comment"] = pa.concat_tables(comments)
    return out


def _mark(values: pa.ChunkedArray | pa.Array, expected: str) -> pa.ChunkedArray | pa.Array:
    """The value with what was expected, which the load path quarantines (it is no number)
    with the file, line, field and the value as written."""
    return join(pc.fill_null(values, "(empty)"), f" (expected {expected})")


def _outcome(
    o: Outcome,
    e: Export,
    m: SurveyMap,
    base: pa.ChunkedArray,
    cust: pa.ChunkedArray,
    when: dict[int, pa.Array],
    keep: pa.ChunkedArray,
    tally: _Tally,
) -> pa.Table:
    n = e.rows
    value = text(e.column(o.column))
    na = _is_na(value, o.not_applicable or NOT_APPLICABLE)
    given = pc.and_(pc.is_valid(value), pc.invert(na))
    tally.no_outcome[o.suffix] = tally.no_outcome.get(o.suffix, 0) + value.null_count
    if o.rated:
        scale = o.scale
        assert isinstance(scale, AnswerScale)
        x = pc.cast(scale.numbers(value), pa.float64())
        inside = pc.and_(pc.greater_equal(x, scale.low), pc.less_equal(x, scale.high))
        share = pc.divide(pc.subtract(x, float(scale.low)), float(scale.high - scale.low))
        inside = pc.fill_null(inside, False)
        rating = pc.if_else(inside, pc.cast(share, pa.string()), _mark(value, scale.expected()))
        made = given
        dated = when[0]
    else:
        yes, no = o.yes_no()
        said = normalised(value)
        is_yes = pc.fill_null(pc.is_in(said, value_set=pa.array([normal(y) for y in yes])), False)
        is_no = pc.fill_null(pc.is_in(said, value_set=pa.array([normal(x) for x in no])), False)
        expected = f"yes ({', '.join(yes)}) or no ({', '.join(no)})"
        rating = pc.if_else(is_yes, NULL, _mark(value, expected))
        made = pc.and_(given, pc.invert(is_no))
        dated = when[1 if o.days_after is None else o.days_after]
    made = pc.and_(keep, made)
    tally.outcomes[o.suffix] = tally.outcomes.get(o.suffix, 0) + (pc.sum(made).as_py() or 0)
    return pa.table(
        {
            "event_id": join(base, o.suffix),
            "customer_id": cust,
            "occurred_at": dated,
            "type": constant(o.type, n),
            "rating": rating,
            "text": value,
            LINE: e.column(LINE),
        }
    ).filter(made)


# -- the report --------------------------------------------------------------------------------
def _counts(m: SurveyMap, j: Journey, report: SurveyReport, tally: _Tally) -> dict[str, int]:
    scales = dict.fromkeys(  # on the journey's scales (labels are numbered onto them)
        f"{s.low}–{s.high}" for mid in m.moments if (s := rating_scale(m, mid, j)) is not None
    )
    tokens = dict.fromkeys(
        t
        for mc in m.moments.values()
        if mc.rating is not None
        for t in (mc.rating.not_applicable or m.not_applicable)
    )
    counts = {m.respondent.plural: sum(report.respondents.values())}
    if m.moments and scales:
        counts[f"ratings answered ({', '.join(scales)})"] = tally.answers
        counts[f"not-applicable answers ({', '.join(tokens)})"] = sum(tally.not_applicable.values())
    counts.update({label: k for label, k in tally.missing.items()})
    if tally.empty:
        counts["empty ratings (no answer)"] = tally.empty
    for suffix, k in tally.outcomes.items():
        counts[f"outcomes ({suffix})"] = k
    for suffix, k in tally.no_outcome.items():
        if k:
            counts[f"rows without a {suffix} answer"] = k
    if m.comments:
        counts["comments"] = tally.comments
    return counts


def locate(
    ws: Workspace, report: ImportReport, mf: MapFile, exports: Sequence[Export]
) -> list[Problem]:
    """The first quarantined problems of this import, each at the export's file, line and
    column (and the column's name), worked out from the event id and field."""
    ids = [r.load_id for r in report.loads if r.quarantined]
    if not ids:
        return []
    q = ws.quarantine()
    q = q.filter(q.load_id.isin(ids)).order_by(["file", "line", "field"]).limit(LOCATED)
    rows = q.to_pyarrow().to_pylist()
    m = mf.map
    fields = _fields(m)
    suffixes = sorted(fields, key=len, reverse=True)
    header = {str(e.path): e for e in exports}
    out = []
    for r in rows:
        eid = r["event_id"] or ""
        suffix = next((s for s in suffixes if eid.endswith("-" + s)), "profile")
        column = fields[suffix].get(r["field"] or "") if r["field"] else None
        e = header.get(r["file"])
        pos = e.position(column) if e is not None and column is not None else None
        out.append(Problem(_plain(r["reason"]), "", r["file"], r["line"], pos, column))
    return out


_MARKED = re.compile(r"^'(?P<value>.*) \(expected (?P<expected>.*)\)' is not .*$", re.DOTALL)


def _plain(reason: str) -> str:
    """A reason about a value :func:`_mark` marked, said plainly."""
    m = _MARKED.match(reason)
    if m is None:
        return reason
    value = m.group("value")
    said = "no answer" if value == "(empty)" else f"'{value}'"
    return f"{said}: expected {m.group('expected')}"


def _fields(m: SurveyMap) -> dict[str, dict[str, str]]:
    """{event id suffix: {event field: the export column it came from}}."""
    common = {
        "event_id": m.respondent.column,
        "customer_id": m.respondent.customer or m.respondent.column,
    }
    if m.date.column:
        common["occurred_at"] = m.date.column
    out: dict[str, dict[str, str]] = {}
    for _, suffix in event_suffixes(m):
        out[suffix] = dict(common)
    for mid, mc in m.moments.items():
        out[mid].update({name: c.column for name, c in mc.measures.items()})
        if mc.rating is not None:
            out[f"{mid}-answer"]["score"] = mc.rating.column
    for c in m.comments:
        out[c.suffix]["text"] = c.column
    for o in m.outcomes:
        out[o.suffix].update(rating=o.column, type=o.column, text=o.column)
    if m.profile is not None:
        if m.profile.segment:
            out["profile"]["segment"] = m.profile.segment[0]
        for key in ("email", "phone", "time_zone"):
            if getattr(m.profile, key):
                out["profile"][key] = getattr(m.profile, key)
    return out
