"""Load an event file into the store: validate, de-duplicate, quarantine, all in one transaction."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from moments.errors import InputError, Problem
from moments.governance.personal import erased_among
from moments.ingest.readers import LINE, Progress, SourceFile, open_source
from moments.ingest.validate import BAD, PROBLEM, Rules, problem_rows, validated
from moments.store import EVENT_KINDS, EventKind, Store, memtable
from moments.store.schema import MEASURES

SHOWN_PROBLEMS = 20
# The row's values are not kept: they are about someone who asked to be forgotten.
ERASED_REASON = (
    "this customer was erased on request (see 'moments audit --action customer.erase'): "
    "their events are not loaded again; remove them from the source file"
)


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
    src = open_source(path, fmt, encoding, delimiter, progress)
    return _load(store, src, kind, rules, dict(mapping or {}), ignore)


def load_rows(
    store: Store,
    rows: pa.Table | Sequence[Mapping[str, Any]],
    kind: str,
    rules: Rules,
    source: str = "<rows>",
) -> LoadReport:
    """Load events held in memory (Arrow or dicts) exactly as a file of them would be."""
    if isinstance(rows, pa.Table):
        table = rows
    else:  # every key of every row (from_pylist alone keeps only the first row's keys)
        keys = list(dict.fromkeys(k for r in rows for k in r))
        table = pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows])
    if table.num_rows == 0:
        raise InputError(Problem("no rows to load", "pass at least one event", source))
    table = table.append_column(LINE, pa.array(range(1, table.num_rows + 1), pa.int64()))
    src = SourceFile(Path(source), "rows", list(table.column_names[:-1]), chunks=iter([table]))
    return _load(store, src, kind, rules, {}, ())


def load_source(store: Store, src: SourceFile, kind: str, rules: Rules) -> LoadReport:
    """Load events that another reader made (an importer turning a survey export's rows into
    events): ``src`` carries them with their source file's line numbers and malformed rows,
    so problems are reported where they are in the original file."""
    return _load(store, src, kind, rules, {}, ())


def _load(
    store: Store,
    src: SourceFile,
    kind: str,
    rules: Rules,
    mapping: dict[str, str],
    ignore: Sequence[str],
) -> LoadReport:
    file = str(src.path)
    started = datetime.now(UTC)
    with contextlib.closing(src):
        ek = event_kind(kind)
        report = LoadReport(uuid.uuid4().hex[:16], file, ek.name)
        if src.columns:  # the header is known: fail before reading a large file
            _columns(src.columns, ek, rules, mapping, ignore, file)
        with _staged(store, src) as raw:
            if not src.columns:
                raise InputError(Problem("the file holds no rows", "export it again", file))
            rename, measures = _columns(src.columns, ek, rules, mapping, ignore, file)
            renamed = raw.select(raw[LINE], *[raw[c].name(t) for c, t in rename.items()])
            full = validated(renamed, ek, measures, rules)
            # the temp table keeps values and the _bad flag only; the reasons are worked out
            # again for the (few) bad lines, which keeps a large load's temp table narrow
            checked = store.materialize(
                full.drop(*[c for c in full.columns if c.startswith(PROBLEM)])
            )
            try:
                locked = (ek.table, "measures") if ek.has_measures else (ek.table,)
                with store.exclusive(*locked):
                    _apply(store, report, src, checked, renamed, ek, measures, rules, started)
            finally:
                store.drop_temp(checked)
            if report.added:
                store.analyze(*locked, "loads", "quarantine")
    return report


def _identical(t: ibis.Table, cols: Sequence[str], suffix: str = "_right") -> ibis.BooleanValue:
    same = ibis.literal(True)
    for c in cols:
        same = same & t[c].identical_to(t[c + suffix])
    return same


def _repeats_in_file(
    store: Store, good: ibis.Table, fields: Sequence[str], measures: Sequence[str]
) -> ibis.Table | None:
    """Later lines of event_ids that appear more than once in the file (None if there are none).

    Columns: line, event_id, same (identical to the id's first line), first_line. Files rarely
    repeat ids, so only the repeated ids are ranked, not the whole file.
    """
    repeated = good.group_by("event_id").agg(_n=good.count())
    repeated = repeated.filter(repeated._n > 1).select("event_id")
    rows = good.semi_join(repeated, "event_id")
    ranked = rows.mutate(_rank=ibis.row_number().over(group_by="event_id", order_by=LINE))
    first = ranked.filter(ranked._rank == 0).select(*fields, *measures, first_line=ranked[LINE])
    later = ranked.filter(ranked._rank > 0)
    j = later.join(first, "event_id")
    content = [c for c in [*fields, *measures] if c != "event_id"]
    later_cmp = store.materialize(
        j.select(
            line=j[LINE], event_id=j.event_id, same=_identical(j, content), first_line=j.first_line
        )
    )
    if later_cmp.count().to_pyarrow().as_py() == 0:
        store.drop_temp(later_cmp)
        return None
    return later_cmp


def _hits_in_store(
    store: Store, first: ibis.Table, ek: EventKind, measures: Sequence[str]
) -> ibis.Table:
    """Rows whose event_id is already stored: line, event_id, load_id, same (identical content)."""
    stored = store.table(ek.table)
    span = first.aggregate(lo=first.event_id.min(), hi=first.event_id.max())
    lo, hi = span.to_pyarrow().to_pylist()[0].values()
    if lo is not None:
        # A file's ids mostly fall in a narrow range (numbered, or prefixed by the export):
        # asking only for stored ids in that range lets DuckDB's zone maps and Parquet's
        # statistics skip the rest, so the check costs the file's size, not the store's.
        stored = stored.filter(stored.event_id.between(lo, hi))
    j = first.join(stored, "event_id")
    content = [c for c in ek.field_names if c != "event_id"]
    shape = j.select(
        line=j[LINE], event_id=j.event_id, load_id=j.load_id, same=_identical(j, content)
    )
    # Most loads bring only new events. Matching the ids alone first keeps the engine from
    # joining every stored field (on Spark a shuffle of the whole table) just to find none.
    ids = first.select("event_id").semi_join(stored.select("event_id"), "event_id")
    if lo is None or not ids.count().to_pyarrow().as_py():
        return store.materialize(shape.limit(0))
    hits = store.materialize(shape)
    if ek.has_measures:  # there are hits: the id check above found some
        differ = _measures_differ(store, hits, first, measures)
        marked = hits.left_join(differ, "event_id")
        marked = marked.select(
            "line", "event_id", "load_id", same=marked.same & marked._differ.isnull()
        )
        fresh = store.materialize(marked)
        store.drop_temp(hits)
        hits = fresh
    return hits


def _erased_customers(store: Store, good: ibis.Table) -> ibis.Table | None:
    """The customers among these rows who were erased (a temporary table), or None."""
    if "customer_id" not in good.columns:
        return None

    def ids() -> list[str]:
        return good.select("customer_id").distinct().customer_id.to_pyarrow().to_pylist()

    gone = erased_among(store, ids)
    if not gone:
        return None
    return store.materialize(
        memtable([{"customer_id": c} for c in sorted(gone)], {"customer_id": "string"})
    )


def _conflicts(c: ibis.Table, what: ibis.StringValue) -> ibis.Table:
    """Quarantine rows for event_ids that clash with other content of the same id."""
    return c.select(
        line=c.line,
        field=ibis.literal("event_id"),
        value=c.event_id,
        reason="event_id "
        + what
        + "; events are never overwritten — give the corrected event a new event_id",
        event_id=c.event_id,
    )


def _apply(
    store: Store,
    report: LoadReport,
    src: SourceFile,
    checked: ibis.Table,
    raw: ibis.Table,
    ek: EventKind,
    measures: Sequence[str],
    rules: Rules,
    started: datetime,
) -> None:
    fields = list(ek.field_names)
    good = checked.filter(~checked[BAD])
    temps: list[ibis.Table] = []
    try:
        erased = _erased_customers(store, good)
        if erased is not None:
            temps.append(erased)
            refused = good.semi_join(erased, "customer_id")
            good = good.anti_join(erased, "customer_id")
        # Everything is worked out in temporary tables first; the transaction below only
        # appends (DuckDB inserts from temp tables made inside a transaction run ~2x slower).
        later = _repeats_in_file(store, good, fields, measures)
        first = good if later is None else good.anti_join(later, good[LINE] == later.line)
        hits = _hits_in_store(store, first, ek, measures)
        temps += [t for t in (later, hits) if t is not None]
        new = first.anti_join(hits, "event_id")

        qcols = {
            "line": "int64",
            "field": "string",
            "value": "string",
            "reason": "string",
            "event_id": "string",
        }
        parts: list[ibis.Table] = []
        if checked[BAD].any().to_pyarrow().as_py():
            bad_lines = checked.filter(checked[BAD]).select(LINE)
            parts.append(
                problem_rows(validated(raw.semi_join(bad_lines, LINE), ek, measures, rules), raw)
            )
        if later is not None:
            c = later.filter(~later.same)
            parts.append(
                _conflicts(
                    c,
                    "appears again with different content (first at line "
                    + c.first_line.cast(dt.string)
                    + ")",
                )
            )
        if erased is not None:
            parts.append(
                refused.select(
                    line=refused[LINE],
                    field=ibis.literal("customer_id"),
                    value=ibis.null(dt.string),
                    reason=ibis.literal(ERASED_REASON),
                    event_id=ibis.null(dt.string),
                )
            )
        c = hits.filter(~hits.same)
        parts.append(
            _conflicts(
                c,
                "is already stored with different content (load " + c.load_id.cast(dt.string) + ")",
            )
        )
        parts.append(
            memtable(
                [
                    {
                        "line": m.line,
                        "field": None,
                        "value": m.text,
                        "reason": m.reason,
                        "event_id": None,
                    }
                    for m in src.malformed
                ],
                qcols,
            )
        )
        q = store.materialize(
            ibis.union(*[p.select(*qcols) for p in parts]).mutate(
                load_id=ibis.literal(report.load_id),
                kind=ibis.literal(ek.name),
                file=ibis.literal(report.file),
                quarantined_at=ibis.literal(started, dt.Timestamp(timezone="UTC")),
            )
        )
        temps.append(q)

        dup_in_file = 0 if later is None else later.filter(later.same).count()
        counts = (
            memtable([{"x": 1}], {"x": "int64"})
            .select(
                staged=checked.count(),
                added=new.count(),
                duplicates=hits.filter(hits.same).count() + dup_in_file,
                quarantined=q.line.nunique(),
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
        report.rows_read = counts["staged"] + len(src.malformed)
        report.added = counts["added"]
        report.duplicates = counts["duplicates"]
        report.quarantined = counts["quarantined"]
        shown = q.order_by(["line", "field"]).limit(SHOWN_PROBLEMS).to_pyarrow().to_pylist()

        with store.transaction():
            if report.added:
                store.append(ek.table, new.mutate(load_id=ibis.literal(report.load_id)))
                if measures:
                    store.append("measures", _measures_long(new, measures))
            store.append("quarantine", q)
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
    finally:
        for t in temps:
            store.drop_temp(t)
    report.problems = [
        Problem(r["reason"], "", report.file, r["line"], field=r["field"]) for r in shown
    ]


def _measures_differ(
    store: Store, hits: ibis.Table, first: ibis.Table, measures: Sequence[str]
) -> ibis.Table:
    """event_ids (column ``event_id`` plus a ``_differ`` flag) whose stored measures differ."""
    ids = hits.select("event_id")
    new_m = (
        _measures_long(first.semi_join(ids, "event_id"), measures)
        if measures
        else memtable([], MEASURES)
    )
    old_m = store.table("measures").semi_join(ids, "event_id")
    j = new_m.outer_join(old_m, [new_m.event_id == old_m.event_id, new_m.name == old_m.name])
    diff = j.filter(~j.value.identical_to(j.value_right))
    return (
        diff.select(event_id=ibis.coalesce(diff.event_id, diff.event_id_right))
        .distinct()
        .mutate(_differ=ibis.literal(True))
    )
