"""What the importers share: finding and reading source files, and loading derived events.

Source files are read as text (``.csv``, or ``.csv.gz``) with every row's line number, so an
event made from a row can be quarantined with the line of the row it came from. Events are
loaded through the same path as an event file (validation, quarantine, de-duplication).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from moments.errors import InputError, Problem
from moments.ingest import LoadReport, event_kind
from moments.ingest.load import load_source
from moments.ingest.readers import LINE, Malformed, SourceFile
from moments.ingest.validate import BAD, validated
from moments.judge import JudgeReport
from moments.workspace import Workspace

SUFFIXES = (".csv", ".csv.gz")
NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


@dataclass
class SourceTable:
    """A source file read as text: one string column per header name, plus each row's line."""

    path: Path
    table: pa.Table
    malformed: list[Malformed] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def column(self, name: str) -> pa.ChunkedArray:
        return self.table[name]


@dataclass
class ImportReport:
    """What an import did: the files read, each load's report, the judgement, and counts."""

    dataset: str
    files: list[Path] = field(default_factory=list)
    loads: list[LoadReport] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # what the data holds, labelled
    notes: list[str] = field(default_factory=list)
    judged: JudgeReport | None = None
    bad_rows: int = 0  # distinct (file, line) quarantined by this import
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return sum(r.added for r in self.loads)

    @property
    def duplicates(self) -> int:
        return sum(r.duplicates for r in self.loads)

    @property
    def quarantined(self) -> int:
        """Events quarantined (one bad row can make several events)."""
        return sum(r.quarantined for r in self.loads)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.loads for p in r.problems]

    def summary(self) -> list[str]:
        lines = [f"{label}: {n:,}" for label, n in self.counts.items()]
        bad = (
            f"{self.quarantined:,} quarantined (from {self.bad_rows:,} source rows)"
            if self.quarantined
            else "none quarantined"
        )
        lines.append(f"events: {self.added:,} added, {self.duplicates:,} already stored, {bad}")
        if self.judged is not None:
            lines.append(str(self.judged))
        lines += self.notes
        lines.append(f"imported in {self.seconds:.1f} s")
        return lines


def find_source(folder: Path, stem: str, required: bool = True) -> Path | None:
    """``folder/stem.csv`` or ``folder/stem.csv.gz`` (exactly one of them), or None."""
    found = [folder / f"{stem}{s}" for s in SUFFIXES if (folder / f"{stem}{s}").is_file()]
    if len(found) > 1:
        raise InputError(
            Problem(
                f"both {found[0].name} and {found[1].name} are here",
                "keep one of them",
                str(folder),
            )
        )
    if not found and required:
        raise InputError(
            Problem(
                f"no {stem}.csv or {stem}.csv.gz in this folder",
                "point to the folder that holds the data set's original files",
                str(folder),
            )
        )
    return found[0] if found else None


def check_folder(folder: Path) -> Path:
    if not folder.exists():
        raise InputError(Problem("no such folder", "check the path", str(folder)))
    if not folder.is_dir():
        raise InputError(
            Problem("is a file, not a folder", "give the folder that holds the files", str(folder))
        )
    return folder


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.GzipFile(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def read_source(path: Path, required: Sequence[str] = ()) -> SourceTable:
    """Read a CSV (optionally gzipped) as text, keeping each row's first line number.

    Quoted fields may span lines (review texts do). A row with the wrong number of values is
    kept aside as malformed, with its line; the good rows around it are read. Unnamed header
    columns (a saved pandas index) are named ``column_N``.
    """
    if not path.is_file():
        raise InputError(Problem("no such file", "check the path", str(path)))
    text = _open_text(path)
    with text:
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(Problem("the file is empty", "export it again", str(path))) from None
        except (csv.Error, UnicodeDecodeError, OSError) as e:
            raise InputError(
                Problem(f"cannot read the header row ({e})", "is it a CSV file?", str(path), 1)
            ) from None
        header = [h.strip() or f"column_{i}" for i, h in enumerate(header, 1)]
        dupes = sorted({h for h in header if header.count(h) > 1})
        missing = [c for c in required if c not in header]
        if dupes or missing:
            raise InputError(
                Problem(
                    f"columns {', '.join(dupes)} appear twice"
                    if dupes
                    else f"missing columns: {', '.join(missing)}",
                    "use the data set's original file",
                    str(path),
                    1,
                )
            )
        cols: list[list[str | None]] = [[] for _ in header]
        lines: list[int] = []
        malformed: list[Malformed] = []
        for line, row, problem in _rows(reader, path):
            if problem is not None:
                malformed.append(Malformed(line, problem, ",".join(row)[:120]))
                continue
            if len(row) != len(header):
                what = "fewer" if len(row) < len(header) else "more"
                malformed.append(
                    Malformed(
                        line,
                        f"has {len(row)} values, {what} than the {len(header)} columns of "
                        "the header (a half-written line?)",
                        ",".join(row)[:120],
                    )
                )
                continue
            for c, v in zip(cols, row, strict=True):
                c.append(v if v != "" else None)
            lines.append(line)
    arrays = {h: pa.array(c, pa.string()) for h, c in zip(header, cols, strict=True)}
    arrays[LINE] = pa.array(lines, pa.int64())
    return SourceTable(path, pa.table(arrays), malformed)


def _rows(reader: Iterator[list[str]], path: Path) -> Iterator[tuple[int, list[str], str | None]]:
    start = reader.line_num + 1  # type: ignore[attr-defined]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield start, [], f"malformed CSV ({e}); is the file cut short?"
            return
        except UnicodeDecodeError as e:
            raise InputError(
                Problem(f"cannot decode the text as UTF-8 ({e.reason})", "", str(path), start)
            ) from None
        line, start = start, reader.line_num + 1  # type: ignore[attr-defined]
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        yield line, row, None


# -- column helpers (pyarrow) ------------------------------------------------------------------
def numbers(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The values as float64; null where empty or not a number."""
    s = pc.utf8_trim_whitespace(values)
    ok = pc.match_substring_regex(s, NUMBER)
    return pc.cast(pc.if_else(ok, s, pa.scalar(None, pa.string())), pa.float64())


def text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Trimmed text; null where empty."""
    s = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def join(*parts: pa.ChunkedArray | pa.Array | str) -> pa.ChunkedArray | pa.Array:
    """Element-wise concatenation; null if any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def flagged(
    values: pa.ChunkedArray | pa.Array, ok: pa.ChunkedArray | pa.Array, expected: str
) -> pa.ChunkedArray | pa.Array:
    """The values as written where ``ok``; elsewhere the value with what was expected, which the
    load path quarantines (it is no number) with the file, line and field."""
    marked = join(pc.fill_null(values, "(empty)"), f" (expected {expected})")
    return pc.if_else(pc.fill_null(ok, False), values, marked)


def constant(value: str | None, n: int) -> pa.Array:
    return pa.array([value] * n, pa.string())


# -- loading -----------------------------------------------------------------------------------
def load_events(
    ws: Workspace,
    kind: str,
    events: pa.Table,
    source: Path,
    malformed: Sequence[Malformed] = (),
    timezone: str | None = None,
) -> list[LoadReport]:
    """Load events made from the rows of ``source``; each event carries its row's line.

    They take the path a file load takes (``Workspace.append`` would number them 1..n), so a
    quarantined event names the source file, the line of its row, the field and the value.
    One row can make several events (one per moment, say): the valid events are loaded in one
    go, the invalid ones apart, at most one per line in a load, so that each is quarantined
    with its own value and reason, never with a sibling's.
    """
    if events.num_rows == 0 and not malformed:
        return []
    ws.generation += 1
    bad = _invalid(ws, kind, events, timezone)
    good = events.filter(pc.invert(bad))
    reports = []
    if good.num_rows or malformed:
        reports.append(_load_one(ws, kind, good, source, malformed, timezone))
    invalid = events.filter(bad)
    if invalid.num_rows:
        # the k-th invalid event of each line goes to the k-th load
        lines = pd.Series(invalid[LINE].to_numpy())
        ranks = lines.groupby(lines).cumcount().to_numpy()
        for k in range(int(ranks.max()) + 1):
            part = invalid.filter(pa.array(ranks == k))
            reports.append(_load_one(ws, kind, part, source, (), timezone))
    return reports


def _invalid(ws: Workspace, kind: str, events: pa.Table, timezone: str | None) -> pa.Array:
    """Per event, whether the load path would quarantine it (its checks, run on a copy), when
    a line has several events; else all False (nothing needs setting apart)."""
    flags = np.zeros(events.num_rows, dtype=bool)
    if pc.count_distinct(events[LINE]).as_py() == events.num_rows:
        return pa.array(flags)  # one event per line: the load path reports each on its own
    ek = event_kind(kind)
    measures = [c for c in events.column_names if c not in ek.field_names and c != LINE]
    rows = events.set_column(
        events.column_names.index(LINE), LINE, pa.array(np.arange(events.num_rows))
    )
    checked = validated(ibis.memtable(rows), ek, measures, ws.rules(timezone))
    if ws.store.con.to_pyarrow(checked[BAD].any()).as_py():  # the usual case is quick
        bad = ws.store.con.to_pyarrow(checked.filter(checked[BAD]).select(LINE))
        flags[bad[LINE].to_numpy()] = True
    return pa.array(flags)


def _load_one(
    ws: Workspace,
    kind: str,
    events: pa.Table,
    source: Path,
    malformed: Sequence[Malformed],
    timezone: str | None,
) -> LoadReport:
    columns = [c for c in events.column_names if c != LINE]
    src = SourceFile(source, "rows", columns, list(malformed), chunks=iter([events]))
    # through the workspace's writer, so the import is in the audit log like any load
    return load_source(ws._audited(event_kind(kind).table), src, kind, ws.rules(timezone))


def bad_rows(ws: Workspace, reports: Sequence[LoadReport]) -> int:
    """Distinct (file, line) quarantined by these loads."""
    ids = [r.load_id for r in reports if r.quarantined]
    if not ids:
        return 0
    q = ws.quarantine()
    q = q.filter(q.load_id.isin(ids))
    return int(q.select("file", "line").distinct().count().to_pyarrow().as_py())
