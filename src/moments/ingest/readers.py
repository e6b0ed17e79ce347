"""Read event files (CSV, JSONL, Parquet) into staging chunks, keeping each row's line number.

CSV and JSONL are streamed with Python's own parsers so that every row keeps its exact line
(multi-line quoted fields included) and a malformed or half-written line is reported where it
is, while the good lines around it are kept. Parquet is typed and read by the engine directly.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

from moments.errors import InputError, Problem

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

FORMATS = ("csv", "jsonl", "parquet")
CHUNK_ROWS = 100_000
LINE = "_line"

Progress = Callable[[int], None]  # called with bytes consumed since the last call


@dataclass
class Malformed:
    """A line that could not be parsed into a row at all."""

    line: int
    reason: str
    text: str


@dataclass
class SourceFile:
    """An opened event file: its format, columns and a stream of all-string chunks."""

    path: Path
    format: str
    columns: list[str]
    malformed: list[Malformed] = field(default_factory=list)
    chunks: Iterator[pa.Table] | None = None  # None for formats the engine reads itself
    handle: IO[str] | None = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise InputError(
                Problem(f"unknown format '{fmt}'", f"use one of: {', '.join(FORMATS)}", str(path))
            )
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    for s in reversed(suffixes):
        if s in (".csv", ".tsv", ".txt"):
            return "csv"
        if s in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
        if s in (".parquet", ".pq"):
            return "parquet"
    raise InputError(
        Problem(
            "cannot tell the file's format from its name",
            "name it .csv, .jsonl or .parquet, or pass --format csv|jsonl|parquet",
            str(path),
        )
    )


def open_source(
    path: str | Path,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> SourceFile:
    p = Path(path)
    if not p.exists():
        raise InputError(Problem("no such file", "check the path", str(p)))
    if p.is_dir():
        raise InputError(Problem("is a folder, not a file", "give the path of one file", str(p)))
    fmt = detect_format(p, fmt)
    if p.stat().st_size == 0:
        raise InputError(Problem("the file is empty", "export the data again", str(p)))
    if fmt == "csv":
        return _open_csv(p, encoding or "utf-8-sig", delimiter, progress)
    if fmt == "jsonl":
        return _open_jsonl(p, encoding or "utf-8-sig", progress)
    return SourceFile(p, "parquet", [])


class _CountingReader(io.RawIOBase):
    """Wraps a binary file to report bytes read to a progress callback."""

    def __init__(self, raw: io.BufferedIOBase, progress: Progress | None) -> None:
        self.raw, self.progress = raw, progress

    def readable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer) -> int:
        n = self.raw.readinto(b)
        if n and self.progress:
            self.progress(n)
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def _text(p: Path, encoding: str, progress: Progress | None) -> IO[str]:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(
            Problem(f"unknown encoding '{encoding}'", "use e.g. utf-8, latin-1, cp1252", str(p))
        ) from None
    raw = io.BufferedReader(_CountingReader(p.open("rb"), progress), 1 << 20)
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _decode_error(p: Path, line: int, e: UnicodeDecodeError, encoding: str) -> InputError:
    return InputError(
        Problem(
            f"cannot decode the text as {encoding} ({e.reason})",
            "pass the file's encoding, e.g. --encoding latin-1",
            str(p),
            line,
        )
    )


def _open_csv(
    p: Path, encoding: str, delimiter: str | None, progress: Progress | None
) -> SourceFile:
    sample_size = 64 * 1024
    with p.open("rb") as fh:
        sample_bytes = fh.read(sample_size)
    try:
        sample = sample_bytes.decode(encoding, errors="strict")
    except UnicodeDecodeError as e:
        cut_char = len(sample_bytes) == sample_size and e.start >= sample_size - 4
        if not cut_char:  # a real decoding error, not a character cut at the sample's end
            line = sample_bytes[: e.start].count(b"\n") + 1
            raise _decode_error(p, line, e, encoding) from None
        sample = sample_bytes[: e.start].decode(encoding)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], ",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    text = _text(p, encoding, progress)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as e:
        text.close()
        raise InputError(
            Problem(
                f"cannot read the header row ({e})",
                "the first line must name the columns, separated by the delimiter",
                str(p),
                1,
            )
        ) from None
    header = [h.strip() for h in header]
    try:
        _check_header(p, header)
    except InputError:
        text.close()
        raise
    src = SourceFile(p, "csv", header, handle=text)
    src.chunks = _csv_chunks(p, text, reader, header, src, encoding)
    return src


def _check_header(p: Path, header: list[str]) -> None:
    problems = []
    seen: set[str] = set()
    for i, h in enumerate(header, 1):
        if not h:
            problems.append(Problem(f"column {i} has no name", "name every column", str(p), 1, i))
        elif h in seen:
            problems.append(
                Problem(f"column '{h}' appears twice", "rename one of them", str(p), 1, i)
            )
        seen.add(h)
    if problems:
        raise InputError(problems)


def _csv_chunks(
    p: Path,
    text: IO[str],
    reader: Any,
    header: list[str],
    src: SourceFile,
    encoding: str,
) -> Iterator[pa.Table]:
    width = len(header)
    cols: list[list[str | None]] = [[] for _ in header]
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                src.malformed.append(
                    Malformed(start, f"malformed CSV ({e}); is the file cut short?", "")
                )
                break
            except UnicodeDecodeError as e:
                raise _decode_error(p, start, e, encoding) from None
            line, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width:
                what = "fewer" if len(row) < width else "more"
                src.malformed.append(
                    Malformed(
                        line,
                        f"has {len(row)} values, {what} than the {width} columns of the header "
                        "(a half-written line, or an unquoted delimiter?)",
                        _clip(row),
                    )
                )
                continue
            for c, v in zip(cols, row, strict=True):
                c.append(v if v != "" else None)
            lines.append(line)
            if len(lines) >= CHUNK_ROWS:
                yield _chunk(header, cols, lines)
                cols, lines = [[] for _ in header], []
        if lines:
            yield _chunk(header, cols, lines)
    finally:
        text.close()


def _chunk(header: list[str], cols: list[list[str | None]], lines: list[int]) -> pa.Table:
    arrays = {h: pa.array(c, pa.string()) for h, c in zip(header, cols, strict=True)}
    arrays[LINE] = pa.array(lines, pa.int64())
    return pa.table(arrays)


def _clip(row: list[str] | str, n: int = 120) -> str:
    s = row if isinstance(row, str) else ",".join(row)
    return s if len(s) <= n else s[: n - 1] + "…"


def _scalar(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False)


def _open_jsonl(p: Path, encoding: str, progress: Progress | None) -> SourceFile:
    text = _text(p, encoding, progress)
    src = SourceFile(p, "jsonl", [], handle=text)
    src.chunks = _jsonl_chunks(p, text, src, encoding)
    return src


def _jsonl_chunks(p: Path, text: IO[str], src: SourceFile, encoding: str) -> Iterator[pa.Table]:
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    try:
        n = 0
        while True:
            try:
                raw = text.readline()
            except UnicodeDecodeError as e:
                raise _decode_error(p, n + 1, e, encoding) from None
            if not raw:
                break
            n += 1
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                cut = "" if raw.endswith("\n") else " (the last line is cut short: half-written?)"
                src.malformed.append(Malformed(n, f"not valid JSON: {e.msg}{cut}", _clip(raw)))
                continue
            except (ValueError, RecursionError) as e:  # a number of over 4300 digits; deep nesting
                why = "nested too deeply" if isinstance(e, RecursionError) else str(e).split(":")[0]
                src.malformed.append(Malformed(n, f"cannot read this JSON: {why}", _clip(raw)))
                continue
            if not isinstance(obj, dict):
                src.malformed.append(
                    Malformed(n, "each line must be a JSON object {...}", _clip(raw))
                )
                continue
            row = {k: _scalar(v) for k, v in obj.items()}
            if "\\u" in raw and _lone_surrogate(row):
                src.malformed.append(
                    Malformed(n, "a \\u escape of half a character (a lone surrogate)", _clip(raw))
                )
                continue
            for k in obj:
                if k not in src.columns:
                    src.columns.append(k)
            rows.append(row)
            lines.append(n)
            if len(rows) >= CHUNK_ROWS:
                yield _rows_chunk(rows, lines)
                rows, lines = [], []
        if rows:
            yield _rows_chunk(rows, lines)
    finally:
        text.close()


def _lone_surrogate(row: dict[str, str | None]) -> bool:
    """Whether a key or value holds half a UTF-16 pair, which is not text (JSON allows it)."""
    try:
        for k, v in row.items():
            k.encode("utf-8")
            if v is not None:
                v.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _rows_chunk(rows: list[dict[str, str | None]], lines: list[int]) -> pa.Table:
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    arrays = {k: pa.array([r.get(k) for r in rows], pa.string()) for k in keys}
    arrays[LINE] = pa.array(lines, pa.int64())
    return pa.table(arrays)
