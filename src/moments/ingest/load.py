"""Load an event file into the store: validate, de-duplicate, quarantine, all in one transaction."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from moments.errors import InputError, Problem
from moments.ingest.readers import LINE, Progress, SourceFile, open_source
from moments.ingest.validate import BAD, Rules, problem_rows, validated
from moments.store import EVENT_KINDS, EventKind, Store, memtable
from moments.store.schema import MEASURES

SHOWN_PROBLEMS = 20


@dataclass
class LoadReport:
    """What a load did: how many rows were read, added, already there, or quarantined."""

    load_id: str
    file: str
    kind: str
    rows_read: int = 0
    added: int = 0
    duplicates: int = 0
    quarantined: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first few, for display

    @property
    def ok(self) -> bool:
        """False when nothing in the file was usable (every row quarantined)."""
        return self.rows_read > 0 and self.added + self.duplicates > 0

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.rows_read} rows read, {self.added} added, "
            f"{self.duplicates} duplicates, {self.quarantined} quarantined"
        )


def event_kind(name: str) -> EventKind:
    try:
        return EVENT_KINDS[name]
    except KeyError:
        raise InputError(
            f"unknown kind of event '{name}'", f"use one of: {', '.join(EVENT_KINDS)}"
        ) from None


def _columns(
    src_columns: Sequence[str],
    kind: EventKind,
    rules: Rules,
    mapping: Mapping[str, str],
    ignore: Sequence[str],
    file: str,
) -> tuple[dict[str, str], list[str]]:
    """Resolve the file's columns: {source column: field or measure name}, and the measures."""
    problems = []
    for src in [*mapping, *ignore]:
        if src not in src_columns:
            problems.append(
                Problem(
                    f"--map/--ignore names column '{src}', which the file does not have",
                    f"its columns are: {', '.join(src_columns)}",
                    file,
                    1,
                )
            )
    rename: dict[str, str] = {}
    measures: list[str] = []
    for c in src_columns:
        if c in ignore or c == LINE:
            continue
        target = mapping.get(c, c)
        if target in kind.field_names:
            rename[c] = target
        elif kind.has_measures and target in rules.measures:
            rename[c] = target
            measures.append(target)
        else:
            extra = (
                f"; declared measures are: {', '.join(sorted(rules.measures)) or 'none'}"
                if kind.has_measures
                else ""
            )
            problems.append(
                Problem(
                    f"unexpected column '{c}' for {kind.name} events{extra}",
                    f"map it with --map '{c}=FIELD' (fields: {', '.join(kind.field_names)})"
                    + (", declare it as a measure in a journey" if kind.has_measures else "")
                    + f", or drop it with --ignore '{c}'",
                    file,
                    1,
                    field=c,
                )
            )
    seen: dict[str, str] = {}
    for c, t in rename.items():
        if t in seen:
            problems.append(
                Problem(f"columns '{seen[t]}' and '{c}' both map to '{t}'", "keep one", file, 1)
            )
        seen[t] = c
    for f in kind.fields:
        if f.required and f.name not in seen:
            problems.append(
                Problem(
                    f"no column for required field '{f.name}' of {kind.name} events",
                    f"add it, or map the column that holds it with --map 'COLUMN={f.name}' "
                    f"(the file's columns: {', '.join(c for c in src_columns if c != LINE)})",
                    file,
                    1,
                    field=f.name,
                )
            )
    if problems:
        raise InputError(problems)
    return rename, measures


@contextlib.contextmanager
def _staged(store: Store, src: SourceFile) -> Iterator[ibis.Table]:
    if src.format == "parquet":
        with store.staged_parquet(src.path, LINE) as t:
            src.columns = [c for c in t.columns if c != LINE]
            yield t
    else:
        assert src.chunks is not None
        with store.staged_chunks(src.chunks) as t:
            src.columns = [c for c in t.columns if c != LINE]
            yield t


def _same(a: ibis.Table, b: ibis.Table, names: Sequence[str]) -> ibis.BooleanValue:
    same = ibis.literal(True)
    for n in names:
        same = same & a[n].identical_to(b[n])
    return same


def _measures_long(t: ibis.Table, measures: Sequence[str]) -> ibis.Table:
    parts = [
        t.filter(t[m].notnull()).select(
            event_id=t.event_id, name=ibis.literal(m), value=t[m].cast(dt.float64)
        )
        for m in measures
    ]
    return ibis.union(*parts)


def load_file(
    store: Store,
    path: str | Path,
    kind: str,
    rules: Rules,
    *,
    mapping: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load one file of events of ``kind``. Raises ``InputError`` when nothing can be read."""
    ek = event_kind(kind)
    mapping = dict(mapping or {})
    src = open_source(path, fmt, encoding, delimiter, progress)
    file = str(path)
    report = LoadReport(uuid.uuid4().hex[:16], file, ek.name)
    started = datetime.now(UTC)
    with contextlib.closing(src):
        if src.format == "csv":  # the header is known: fail before reading a large file
            _columns(src.columns, ek, rules, mapping, ignore, file)
        with _staged(store, src) as raw:
            if not src.columns:
                raise InputError(Problem("the file holds no rows", "export it again", file))
            rename, measures = _columns(src.columns, ek, rules, mapping, ignore, file)
            renamed = raw.select(raw[LINE], *[raw[c].name(t) for c, t in rename.items()])
            checked = store.materialize(validated(renamed, ek, measures, rules))
            try:
                _apply(store, report, src, checked, renamed, ek, measures, started)
            finally:
                store.drop_temp(checked)
    return report


def _apply(
    store: Store,
    report: LoadReport,
    src: SourceFile,
    checked: ibis.Table,
    raw: ibis.Table,
    ek: EventKind,
    measures: Sequence[str],
    started: datetime,
) -> None:
    now = ibis.literal(started, dt.Timestamp(timezone="UTC"))
    fields = list(ek.field_names)
    good = checked.filter(~checked[BAD])
    ranked = good.mutate(_rank=ibis.row_number().over(group_by="event_id", order_by=LINE))
    first = ranked.filter(ranked._rank == 0)
    later = ranked.filter(ranked._rank > 0)

    # repeats inside the file: identical ones are duplicates, differing ones are quarantined
    f2 = first.select(*fields, *measures, _first_line=first[LINE])
    lj = later.join(f2, "event_id")
    cmp_cols = [c for c in [*fields, *measures] if c != "event_id"]
    same_in_file = ibis.literal(True)
    for c in cmp_cols:
        same_in_file = same_in_file & lj[c].identical_to(lj[c + "_right"])
    later_cmp = lj.mutate(_same=same_in_file)
    dup_in_file = later_cmp.filter(later_cmp._same).count()
    conflicts_in_file = later_cmp.filter(~later_cmp._same).select(
        line=later_cmp[LINE].cast(dt.int64),
        field=ibis.literal("event_id"),
        value=later_cmp.event_id,
        reason="event_id appears again with different content (first at line "
        + later_cmp._first_line.cast(dt.string)
        + "); events are never overwritten — give the corrected event a new event_id",
        event_id=later_cmp.event_id,
    )

    # against the store: identical → duplicate; different → quarantined, never overwritten
    stored = store.table(ek.table)
    hit = first.join(stored, "event_id")
    same = ibis.literal(True)
    for c in fields:
        if c != "event_id":
            same = same & hit[c].identical_to(hit[c + "_right"])
    hit = hit.mutate(_same=same)
    if measures or ek.has_measures:
        hit = _compare_measures(store, hit, first, measures)
    clash = hit.filter(~hit._same)
    dup_stored = hit.filter(hit._same).count()
    conflicts_stored = clash.select(
        line=clash[LINE].cast(dt.int64),
        field=ibis.literal("event_id"),
        value=clash.event_id,
        reason="event_id is already stored with different content (load "
        + clash.load_id.cast(dt.string)
        + "); events are never overwritten — give the corrected event a new event_id",
        event_id=clash.event_id,
    )
    new = first.anti_join(stored, "event_id")

    qcols = {
        "line": "int64",
        "field": "string",
        "value": "string",
        "reason": "string",
        "event_id": "string",
    }
    malformed = memtable(
        [
            {"line": m.line, "field": None, "value": m.text, "reason": m.reason, "event_id": None}
            for m in src.malformed
        ],
        qcols,
    )
    bad = problem_rows(checked, raw) if checked[BAD].any().to_pyarrow().as_py() else None
    parts = [
        p.select(*qcols)
        for p in (bad, conflicts_in_file, conflicts_stored, malformed)
        if p is not None
    ]
    quarantine = ibis.union(*parts).mutate(
        load_id=ibis.literal(report.load_id),
        kind=ibis.literal(ek.name),
        file=ibis.literal(report.file),
        quarantined_at=now,
    )

    with store.transaction():
        q = store.materialize(quarantine)
        counts = (
            memtable([{"x": 1}], {"x": "int64"})
            .select(
                staged=checked.count(),
                added=new.count(),
                dup_in_file=dup_in_file,
                dup_stored=dup_stored,
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
        fresh = store.materialize(new)  # before the insert empties the anti-join
        store.append(ek.table, fresh.mutate(load_id=ibis.literal(report.load_id)))
        if measures:
            store.append("measures", _measures_long(fresh, measures))
        store.drop_temp(fresh)
        store.append("quarantine", q)
        report.rows_read = counts["staged"] + len(src.malformed)
        report.added = counts["added"]
        report.duplicates = counts["dup_in_file"] + counts["dup_stored"]
        report.quarantined = int(q.line.nunique().to_pyarrow().as_py() or 0)
        store.append(
            "loads",
            pa.table(
                {
                    "load_id": [report.load_id],
                    "kind": [ek.name],
                    "file": [report.file],
                    "started_at": pa.array([started], pa.timestamp("us", tz="UTC")),
                    "rows_read": [report.rows_read],
                    "added": [report.added],
                    "duplicates": [report.duplicates],
                    "quarantined": [report.quarantined],
                }
            ),
        )
        shown = q.order_by("line").limit(SHOWN_PROBLEMS).to_pyarrow().to_pylist()
        store.drop_temp(q)
    report.problems = [
        Problem(r["reason"], "", report.file, r["line"], field=r["field"]) for r in shown
    ]


def _compare_measures(
    store: Store, hit: ibis.Table, first: ibis.Table, measures: Sequence[str]
) -> ibis.Table:
    """Mark stored events whose measures differ from the file's as not the same."""
    ids = hit.select("event_id")
    new_m = (
        _measures_long(first.semi_join(ids, "event_id"), measures)
        if measures
        else memtable([], MEASURES)
    )
    old_m = store.table("measures").semi_join(ids, "event_id")
    j = new_m.outer_join(old_m, [new_m.event_id == old_m.event_id, new_m.name == old_m.name])
    diff = (
        j.filter(~j.value.identical_to(j.value_right))
        .select(event_id=ibis.coalesce(j.event_id, j.event_id_right))
        .distinct()
    )
    diff = diff.mutate(_diff=ibis.literal(True))
    out = hit.left_join(diff, "event_id")
    return out.mutate(_same=out._same & out._diff.isnull()).drop("_diff", "event_id_right")
