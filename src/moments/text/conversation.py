"""Conversations as turns: read them from CSV/JSONL, or rebuild them from reply links.

A conversation is a list of turns, each with ``conversation_id``, ``turn_id``, ``role``
(``customer`` or ``agent``), ``speaker_id`` (the customer, or the employee who wrote the turn),
``time`` and ``text``. Files are read row by row so that every bad row is reported with its
file and line while the good rows are kept (as the event loader does with its quarantine).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from moments.errors import InputError, Problem

ROLES = ("customer", "agent")
TURN_COLUMNS = ["conversation_id", "turn_id", "role", "speaker_id", "time", "text"]
REQUIRED = ("conversation_id", "turn_id", "role", "text")
_ROLE_ALIASES = {
    "customer": "customer",
    "client": "customer",
    "user": "customer",
    "inbound": "customer",
    "agent": "agent",
    "employee": "agent",
    "staff": "agent",
    "outbound": "agent",
}


@dataclass
class Turns:
    """Turns read from a file: the good ones as a DataFrame, and a problem per bad row."""

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.frame.empty

    @property
    def conversations(self) -> int:
        return int(self.frame["conversation_id"].nunique()) if self.ok else 0


def empty_turns() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in TURN_COLUMNS})
    frame["time"] = pd.Series(dtype="datetime64[us, UTC]")
    return frame


def read_turns(path: str | Path, format: str | None = None) -> Turns:
    """Read a CSV or JSONL file of turns; bad rows become problems with file:line.

    Raises :class:`InputError` only when the file itself cannot be used (missing, unknown
    format, no header, required columns absent); a bad row never stops the good ones.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem("no such file", "check the path", str(p)))
    fmt = format or _format_of(p)
    rows = _csv_rows(p) if fmt == "csv" else _jsonl_rows(p)
    return _validate(rows, str(p))


def turns_from_frame(frame: pd.DataFrame, source: str = "<frame>") -> Turns:
    """Check a DataFrame of turns as a file would be checked; row n is reported as line n+1."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            Problem(
                f"missing column(s): {', '.join(missing)}",
                f"turns need the columns {', '.join(TURN_COLUMNS)}",
                source,
            )
        )
    records = frame.to_dict(orient="records")
    return _validate(((i + 1, r, None) for i, r in enumerate(records)), source)


def _format_of(p: Path) -> str:
    for s in reversed([s.lower() for s in p.suffixes]):
        if s in (".csv", ".tsv", ".txt"):
            return "csv"
        if s in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
    raise InputError(
        Problem(
            "cannot tell the file's format from its name",
            "name it .csv or .jsonl (one JSON object per line)",
            str(p),
        )
    )


Row = tuple[int, dict[str, Any] | None, str | None]  # line, record or None, why unreadable


def _csv_rows(p: Path) -> Iterator[Row]:
    # surrogateescape keeps undecodable bytes in place, so the row that holds them is reported
    with p.open(encoding="utf-8", newline="", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        if not header:
            raise InputError(Problem("the file is empty", "add a header row", str(p), 1))
        _check_header([h.strip() for h in header], str(p))
        start = reader.line_num + 1
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield start, None, f"unreadable row: {e}"
                start = reader.line_num + 1
                continue
            if None in rec:
                yield start, None, "more values than columns"
            elif any(isinstance(v, str) and _NOT_UTF8.search(v) for v in rec.values()):
                yield start, None, "not UTF-8 text (save the file as UTF-8)"
            else:
                yield start, {k.strip(): v for k, v in rec.items()}, None
            start = reader.line_num + 1


_NOT_UTF8 = re.compile("[\ud800-\udfff]")  # surrogateescape'd bytes, or lone surrogates


def _jsonl_rows(p: Path) -> Iterator[Row]:
    with p.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield n, None, "not UTF-8 text"
                continue
            except json.JSONDecodeError as e:
                yield n, None, f"not valid JSON ({e.msg} at column {e.colno})"
                continue
            except (ValueError, RecursionError) as e:  # a number of over 4300 digits; deep nesting
                why = "nested too deeply" if isinstance(e, RecursionError) else str(e).split(":")[0]
                yield n, None, f"cannot read this JSON ({why})"
                continue
            if not isinstance(rec, dict):
                yield n, None, "not a JSON object"
                continue
            if b"\\u" in raw and _NOT_UTF8.search(json.dumps(rec, ensure_ascii=False)):
                yield n, None, "a \\u escape of half a character (a lone surrogate) is not text"
                continue
            yield n, rec, None


def _check_header(header: list[str], source: str) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            Problem(
                f"missing column(s): {', '.join(missing)}",
                f"the header must name {', '.join(TURN_COLUMNS)} (speaker_id and time optional)",
                source,
                1,
            )
        )


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time (a time without a zone is taken as UTC)."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _validate(rows: Iterable[Row], source: str) -> Turns:
    good: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for line, rec, why in rows:
        if rec is None:
            problems.append(Problem(why or "unreadable row", "fix or remove the row", source, line))
            continue
        bad = False
        for col in REQUIRED:
            if col != "text" and _blank(rec.get(col)):
                problems.append(Problem("empty value", "fill it in", source, line, field=col))
                bad = True
        text = rec.get("text")
        if text is None or (isinstance(text, float) and text != text):
            text = ""
        if not isinstance(text, str):
            text = str(text)
        role = _ROLE_ALIASES.get(str(rec.get("role", "")).strip().lower())
        if role is None and not _blank(rec.get("role")):
            problems.append(
                Problem(
                    f"unknown role '{rec.get('role')}'",
                    "use customer or agent",
                    source,
                    line,
                    field="role",
                )
            )
            bad = True
        when = None
        if not _blank(rec.get("time")):
            try:
                when = parse_time(rec["time"])
            except (ValueError, TypeError, OverflowError):  # year 1 at +01:00 is before year 1
                problems.append(
                    Problem(
                        f"'{rec['time']}' is not a time",
                        "write it as ISO 8601, e.g. 2026-03-07T14:05:00+00:00",
                        source,
                        line,
                        field="time",
                    )
                )
                bad = True
        if bad:
            continue
        key = (str(rec["conversation_id"]).strip(), str(rec["turn_id"]).strip())
        if key in seen:
            problems.append(
                Problem(
                    f"turn '{key[1]}' of conversation '{key[0]}' already read at line {seen[key]}",
                    "give every turn of a conversation its own turn_id",
                    source,
                    line,
                    field="turn_id",
                )
            )
            continue
        seen[key] = line
        speaker = rec.get("speaker_id")
        good.append(
            {
                "conversation_id": key[0],
                "turn_id": key[1],
                "role": role,
                "speaker_id": None if _blank(speaker) else str(speaker).strip(),
                "time": when,
                "text": text,
                "line": line,
            }
        )
    return Turns(order_turns(pd.DataFrame(good)) if good else empty_turns(), problems)


def order_turns(frame: pd.DataFrame) -> pd.DataFrame:
    """Turns in conversation order: by time (turns without one keep their file order)."""
    f = frame.copy()
    f["time"] = pd.to_datetime(f["time"], utc=True)
    order = "line" if "line" in f.columns else None
    if order is None:
        f["line"] = range(len(f))
    f = f.sort_values(["conversation_id", "time", "line"], kind="stable", na_position="last")
    return f[TURN_COLUMNS].reset_index(drop=True)


# --- reply links (e.g. support tweets) -------------------------------------------------------


def checked_turns(turns: pd.DataFrame) -> pd.DataFrame:
    """Turns given as a DataFrame, checked for the needed columns and put in conversation
    order (missing speaker and time columns added empty, missing text as '')."""
    missing = [c for c in ("conversation_id", "turn_id", "role", "text") if c not in turns.columns]
    if missing:
        raise InputError(
            Problem(
                f"the turns lack column(s) {', '.join(missing)}",
                f"give turns with {', '.join(TURN_COLUMNS)} (read them with read_turns)",
            )
        )
    t = turns.copy()
    for col in ("speaker_id", "time"):
        if col not in t.columns:
            t[col] = None
    t["text"] = t["text"].fillna("").astype(str)
    return order_turns(t)


def thread_roots(parent: dict[str, str | None]) -> dict[str, str]:
    """The root of every message, following reply links ``child -> parent``.

    A parent that is not among the messages makes its child a root (the thread starts where
    our data starts). A cycle of links has no root: its smallest id is taken as the root, so
    the result is deterministic and every message belongs to exactly one conversation.
    """
    root: dict[str, str] = {}
    for start in parent:
        if start in root:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        node = start
        while True:
            if node in root:
                r = root[node]
                break
            if node in on_path:  # a cycle: path[i:] loops back to node
                cycle = path[path.index(node) :]
                r = min(cycle)
                break
            path.append(node)
            on_path.add(node)
            up = parent.get(node)
            if up is None or up not in parent:
                r = node
                break
            node = up
        for n in path:
            root[n] = r
    return root


_SIGN_OFF = re.compile(r"(?:\^|\s[-–~*/]\s?)([A-Z][A-Za-z]{0,11})\s*$")


def sign_off(text: str) -> str | None:
    """The initials an agent signs a tweet with (``... ^JK``, ``... -AB``), if any."""
    m = _SIGN_OFF.search(text.strip())
    return m.group(1) if m else None


def twcs_turns(path: str | Path) -> pd.DataFrame:
    """Turns from the Customer Support on Twitter CSV, one conversation per reply tree.

    The conversation id is the root tweet's id; inbound tweets are customer turns, the others
    agent turns whose speaker is ``brand/initials`` when the tweet is signed, else the brand.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[raw["inbound"].isin(["True", "False"])]  # drops the export's one broken record
    ids = raw["tweet_id"].str.strip()
    parents = raw["in_response_to_tweet_id"].str.replace(r"\.0$", "", regex=True).str.strip()
    links = {i: (p or None) for i, p in zip(ids, parents, strict=True)}
    roots = thread_roots(links)
    inbound = raw["inbound"] == "True"
    speaker = [
        author if inn else (f"{author}/{s}" if (s := sign_off(text)) else author)
        for author, inn, text in zip(raw["author_id"], inbound, raw["text"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "conversation_id": [roots[i] for i in ids],
            "turn_id": ids.to_list(),
            "role": ["customer" if x else "agent" for x in inbound],
            "speaker_id": speaker,
            "time": pd.to_datetime(raw["created_at"], format="%a %b %d %H:%M:%S %z %Y", utc=True),
            "text": raw["text"].to_list(),
            "line": [int(i) for i in ids],
        }
    )
    return order_turns(frame)


TWCS_COLUMNS = ("tweet_id", "author_id", "inbound", "in_response_to_tweet_id")


def load_turns(path: str | Path, format: str | None = None) -> Turns:
    """Turns from a file: a turns CSV/JSONL, or the Customer Support on Twitter CSV.

    The tweet export is recognised by its header (``tweet_id``, ``inbound``, ``author_id``,
    ``in_response_to_tweet_id``) or ``format='twcs'``, and rebuilt into conversations.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem("no such file", "check the path", str(p)))
    if format == "twcs" or (format is None and _looks_like_twcs(p)):
        try:
            return Turns(twcs_turns(p))
        except (KeyError, ValueError) as e:
            raise InputError(
                Problem(
                    f"cannot read it as the support-tweet export ({e})",
                    f"it needs the columns {', '.join(TWCS_COLUMNS)}, created_at and text",
                    str(p),
                )
            ) from None
    return read_turns(p, format)


def _looks_like_twcs(p: Path) -> bool:
    import gzip

    opener = gzip.open if p.suffix.lower() == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8", errors="replace") as fh:
            header = fh.readline()
    except OSError:
        return False
    names = {h.strip().strip('"') for h in header.split(",")}
    return all(c in names for c in TWCS_COLUMNS)
