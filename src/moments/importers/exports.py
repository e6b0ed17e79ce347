"""Read a survey export as text columns, keeping each row's line: CSV, Excel, Qualtrics.

- **CSV** (``.csv``, ``.txt``, ``.tsv``, optionally gzipped): the encoding is sniffed (a BOM,
  else UTF-8, else Latin-1 / Windows-1252) and the delimiter too (``,`` ``;`` tab ``|``: the one
  that splits the first lines into the same, largest number of columns); both can be given.
- **Excel** (``.xlsx``, ``.xlsm``): the first sheet (or the one named), one row per line; a
  row's "line" is its row number in the sheet.
- **Qualtrics** exports (CSV or Excel) have three header rows: the column names, the question
  texts, and ``{"ImportId": …}`` rows. They are recognised by the third, and the two extra rows
  are skipped; the question texts are kept (``Export.questions``) and the time zone Qualtrics
  records for its dates (``Export.zones``). Line numbers stay those of the file.

Rows with the wrong number of values are set aside with their line (the import quarantines
them); the good rows around them are read.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import gzip
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from moments.errors import InputError, Problem
from moments.importers.common import SourceTable
from moments.ingest.readers import LINE, Malformed

DELIMITERS = (",", ";", "\t", "|")
EXCEL = (".xlsx", ".xlsm")
SNIFF_CHARS = 64 * 1024
Row = list[str | None]


@dataclass
class Export(SourceTable):
    """A survey export read as text: the columns (one string column per header name, plus each
    row's line), what shape it had, and what its header rows said."""

    shape: str = "csv"  # csv | xlsx | qualtrics csv | qualtrics xlsx
    header: list[str] = field(default_factory=list)
    questions: dict[str, str] = field(default_factory=dict)  # column -> question text
    zones: dict[str, str] = field(default_factory=dict)  # column -> IANA zone (Qualtrics)
    encoding: str | None = None
    delimiter: str | None = None

    def position(self, column: str) -> int | None:
        """The column's 1-based position in the header."""
        return self.header.index(column) + 1 if column in self.header else None

    def describe(self) -> str:
        parts = [self.shape]
        if self.encoding:
            parts.append(self.encoding)
        if self.delimiter:
            parts.append("delimiter " + {"\t": "tab"}.get(self.delimiter, repr(self.delimiter)))
        return ", ".join(parts)


def is_excel(path: Path) -> bool:
    return path.suffix.lower() in EXCEL


def read_export(
    path: str | Path,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Export:
    """Read a CSV or Excel survey export (see the module's docstring)."""
    p = Path(path)
    if not p.exists():
        raise InputError(Problem("no such file", "check the path", str(p)))
    if p.is_dir():
        raise InputError(Problem("is a folder, not a file", "give the export's file", str(p)))
    if is_excel(p):
        return _excel(p, sheet)
    if sheet is not None:
        raise InputError(Problem("--sheet is for Excel files", "leave it out for a CSV", str(p)))
    return _csv(p, delimiter, encoding)


# -- CSV ---------------------------------------------------------------------------------------
def _csv(p: Path, delimiter: str | None, encoding: str | None) -> Export:
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise InputError(Problem(f"cannot unzip ({e})", "export it again", str(p))) from None
    if raw[:4] == b"PK\x03\x04":
        raise InputError(
            Problem("this is a zip file (an Excel workbook?)", "name it .xlsx", str(p))
        )
    text, encoding = decode(raw, encoding, p)
    if not text.strip():
        raise InputError(Problem("the file is empty", "export it again", str(p)))
    if delimiter is None:
        delimiter = sniff_delimiter(text[:SNIFF_CHARS])
    elif delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise InputError(
            Problem(f"delimiter {delimiter!r} is not one character", "use e.g. ';'", str(p))
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    export = _build(p, _csv_rows(reader), "csv", delimiter)
    export.encoding = encoding
    return export


def decode(raw: bytes, encoding: str | None, p: Path) -> tuple[str, str]:
    """The text and the encoding it was read with (given, or sniffed)."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                Problem(f"unknown encoding '{encoding}'", "use e.g. utf-8, latin-1, cp1252", str(p))
            ) from None
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            raise InputError(
                Problem(
                    f"cannot decode the text as {encoding} ({e.reason})",
                    "leave --encoding out to have it sniffed, or give the right one",
                    str(p),
                    line,
                )
            ) from None
    if raw[:3] == codecs.BOM_UTF8:
        return raw[3:].decode("utf-8", errors="replace"), "utf-8"
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return raw.decode("utf-16").removeprefix("\ufeff"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # not UTF-8: a Western single-byte export. Bytes 0x80–0x9F are letters and quotes in
    # Windows-1252 and mere control codes in Latin-1.
    if any(0x80 <= b <= 0x9F for b in raw):
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's first lines into the same, largest number of
    columns (``,`` when none splits the header)."""
    best, best_score = ",", (0.0, 0)
    for d in DELIMITERS:
        try:
            rows = [r for r in itertools.islice(csv.reader(io.StringIO(sample), delimiter=d), 30)]
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if len(rows) > 1 and sample and not sample.endswith(("\n", "\r")):
            rows = rows[:-1]  # the sample may cut its last row short
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        same = sum(len(r) == width for r in rows) / len(rows)
        score = (same, width)
        if score > best_score:
            best, best_score = d, score
    return best


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, Row | None, str | None]]:
    """(line, row, problem) per row; a CSV that breaks off is one problem at its line."""
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield start, None, f"malformed CSV ({e}); is the file cut short?"
            return
        line, start = start, reader.line_num + 1  # type: ignore[attr-defined]
        yield line, [v if v != "" else None for v in row], None


# -- Excel -------------------------------------------------------------------------------------
def _excel(p: Path, sheet: str | None) -> Export:
    try:
        import openpyxl  # type: ignore[import-untyped]
        from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise InputError(
            Problem("reading Excel needs openpyxl", "pip install openpyxl", str(p))
        ) from None
    import zipfile

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as e:
        raise InputError(
            Problem(f"cannot read it as an Excel workbook ({e})", "save it as .xlsx", str(p))
        ) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputError(
                Problem(
                    f"no sheet '{sheet}'", f"its sheets are: {', '.join(wb.sheetnames)}", str(p)
                )
            )
        rows = (
            (i, [_cell(v) for v in values], None)
            for i, values in enumerate(ws.iter_rows(values_only=True), 1)
        )
        export = _build(p, rows, "xlsx", None)
    finally:
        wb.close()
    return export


def _cell(v: object) -> str | None:
    """An Excel cell as the text a CSV export would hold."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    s = str(v)
    return s if s.strip() else None


# -- rows into columns -------------------------------------------------------------------------
def _is_import_ids(row: Row) -> bool:
    """Qualtrics' third header row: ``{"ImportId": …}`` in (nearly) every cell."""
    cells = [c.strip() for c in row if c and c.strip()]
    hits = sum(c.startswith("{") and '"ImportId"' in c for c in cells)
    return bool(cells) and hits >= max(1, len(cells) // 2)


def _zone(cell: str | None) -> str | None:
    if not cell:
        return None
    try:
        info = json.loads(cell)
    except ValueError:
        return None
    zone = info.get("timeZone") if isinstance(info, dict) else None
    return zone if isinstance(zone, str) and zone else None


def _blank(row: Row) -> bool:
    return all(v is None or not v.strip() for v in row)


def _build(
    p: Path,
    rows: Iterable[tuple[int, Row | None, str | None]],
    shape: str,
    delimiter: str | None,
) -> Export:
    it = iter(rows)
    header: Row | None = None
    for _, row, problem in it:
        if problem is not None:
            raise InputError(Problem(f"cannot read the header row ({problem})", "", str(p), 1))
        if row is not None and not _blank(row):
            header = row
            break
    if header is None:
        raise InputError(Problem("the file is empty", "export it again", str(p)))
    while header and header[-1] is None:  # empty columns at the right of a sheet
        header = header[:-1]
    names = [(h or "").strip() or f"column_{i}" for i, h in enumerate(header, 1)]
    dupes = sorted({h for h in names if names.count(h) > 1})
    if dupes:
        raise InputError(
            Problem(
                f"columns {', '.join(repr(d) for d in dupes)} appear twice in the header",
                "rename one of each, so that MAP.yaml can tell them apart",
                str(p),
                1,
            )
        )
    width = len(names)
    cols: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []
    malformed: list[Malformed] = []
    pending: list[tuple[int, Row]] = []  # the first two rows, until Qualtrics is ruled out
    export = Export(p, pa.table({}), shape=shape, header=names, delimiter=delimiter)

    def take(line: int, row: Row) -> None:
        if len(row) > width and all(v is None for v in row[width:]):
            row = row[:width]  # trailing empty cells (a sheet's, or a trailing delimiter)
        if len(row) != width:
            what = "fewer" if len(row) < width else "more"
            malformed.append(
                Malformed(
                    line,
                    f"has {len(row)} values, {what} than the {width} columns of the header "
                    "(a half-written line, or an unquoted delimiter?)",
                    (delimiter or ",").join(v or "" for v in row)[:120],
                )
            )
            return
        for c, v in zip(cols, row, strict=True):
            c.append(v)
        lines.append(line)

    qualtrics: bool | None = None
    for line, row, problem in it:
        if problem is not None:
            malformed.append(Malformed(line, problem, ""))
            break
        if row is None or _blank(row):
            continue
        if qualtrics is None:
            pending.append((line, row))
            if len(pending) < 2:
                continue
            qualtrics = _is_import_ids(pending[1][1])
            if qualtrics:
                texts, ids = pending[0][1], pending[1][1]
                export.shape = f"qualtrics {shape}"
                for i, name in enumerate(names):
                    q = texts[i] if i < len(texts) else None
                    if q and q.strip():
                        export.questions[name] = " ".join(q.split())
                    z = _zone(ids[i] if i < len(ids) else None)
                    if z:
                        export.zones[name] = z
            else:
                for ln, r in pending:
                    take(ln, r)
            pending = []
            continue
        take(line, row)
    for ln, r in pending:  # a file of one data row
        take(ln, r)
    arrays = {h: pa.array(c, pa.string()) for h, c in zip(names, cols, strict=True)}
    arrays[LINE] = pa.array(lines, pa.int64())
    export.table = pa.table(arrays)
    export.malformed = malformed
    return export
