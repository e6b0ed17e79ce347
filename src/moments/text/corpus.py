"""Labelled comments: read and write the JSONL (or CSV) that text models train on and predict for.

One comment a line, the schema of the SemEval-2014 restaurant files::

    {"id": "17", "text": "The staff was rude.", "categories": [{"category": "service",
     "polarity": "negative"}]}

``categories`` names the moments (aspect categories) the comment talks about, each with a
polarity: positive, negative, neutral or conflict (both positive and negative). It may be left
out or empty on input to ``predict``. Any other key (e.g. ``terms``) is kept as it is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moments.errors import InputError, Problem

POLARITIES = ("positive", "negative", "neutral", "conflict")
MAX_PROBLEMS = 20  # a broken file is reported by its first problems, not by thousands


@dataclass(frozen=True)
class Labelled:
    """One comment, with the categories (moments) it mentions and their polarities."""

    id: str
    text: str
    categories: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def category_names(self) -> list[str]:
        return [c for c, _ in self.categories]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "categories": [{"category": c, "polarity": p} for c, p in self.categories],
            **self.extra,
        }


def read_comments(path: str | Path, require_categories: bool = False) -> list[Labelled]:
    """Every comment of a JSONL file; bad lines are reported together with file:line and field.

    ``require_categories``: each line must name at least one category (training data).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(
            Problem(f"no such file: {p}", "give the path of a JSONL file", file=str(p))
        )
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(Problem(f"cannot read it: {e}", "check the file", file=str(p))) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        at = raw[: e.start].count(b"\n") + 1
        raise InputError(
            Problem(
                f"not UTF-8 text (byte {raw[e.start]:#04x})",
                "save the file as UTF-8",
                file=str(p),
                line=at,
            )
        ) from None
    if p.suffix.lower() == ".csv":
        return _read_csv(p, content, require_categories)
    comments: list[Labelled] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    # only \n ends a line: JSON strings may hold U+0085 or U+2028, which splitlines() splits on
    for n, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            comment = parse_line(line, require_categories)
        except _LineError as e:
            problems.append(Problem(e.what, e.fix, file=str(p), line=n, field=e.field))
        else:
            if comment.id in seen:
                problems.append(
                    Problem(
                        f"id '{comment.id}' is already used on line {seen[comment.id]}",
                        "give every line its own id",
                        file=str(p),
                        line=n,
                        field="id",
                    )
                )
            seen[comment.id] = n
            comments.append(comment)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError(problems)
    if not comments:
        raise InputError(
            Problem("the file has no comments", "write one JSON object a line", file=str(p))
        )
    return comments


CSV_TEXT = ("text", "comment")
CSV_CATEGORY = ("category", "moment", "moment_id")
CSV_POLARITY = ("polarity", "valence")


def _read_csv(p: Path, content: str, require_categories: bool) -> list[Labelled]:
    """A CSV with one row per (comment, moment): ``id`` (optional), ``text``, ``moment`` and
    ``valence`` (or ``category`` and ``polarity``); rows with the same id are one comment."""
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header

    def pick(names: tuple[str, ...]) -> str | None:
        return next((n for n in names if n in header), None)

    text_col, cat_col, pol_col = pick(CSV_TEXT), pick(CSV_CATEGORY), pick(CSV_POLARITY)
    if text_col is None or (cat_col is None) != (pol_col is None):
        raise InputError(
            Problem(
                f"the header {header} lacks a text column, or has a moment without a valence "
                "column (or the reverse)",
                "name the columns id, text, moment, valence (or category, polarity)",
                file=str(p),
                line=1,
            )
        )
    order: dict[str, tuple[str, list[tuple[str, str]], int]] = {}
    problems: list[Problem] = []
    for n, row in enumerate(reader, start=2):
        text = row.get(text_col) or ""
        ident = (row.get("id") or "").strip() or f"line-{n}"
        if ident in order and order[ident][0] != text:
            problems.append(
                Problem(
                    f"id '{ident}' has another text on line {order[ident][2]}",
                    "give each comment one id, and repeat its text on each of its rows",
                    file=str(p),
                    line=n,
                    field="id",
                )
            )
            continue
        pairs = order.setdefault(ident, (text, [], n))[1]
        cat = (row.get(cat_col) or "").strip() if cat_col else ""
        pol = (row.get(pol_col) or "").strip().lower() if pol_col else ""
        if not cat and not pol:
            continue
        if pol not in POLARITIES or not cat:
            problems.append(
                Problem(
                    f"unknown {pol_col} {pol!r}" if cat else f"{pol_col} without a {cat_col}",
                    f"use one of {', '.join(POLARITIES)}" if cat else f"name the {cat_col}",
                    file=str(p),
                    line=n,
                    field=pol_col if cat else cat_col,
                )
            )
        elif (cat, pol) not in pairs:
            pairs.append((cat, pol))
        if len(problems) >= MAX_PROBLEMS:
            break
    reported = {pr.line for pr in problems}
    for ident, (_, pairs, n) in order.items():
        if require_categories and not pairs and n not in reported:
            problems.append(
                Problem(
                    f"comment '{ident}' has no moment: a training comment needs at least one",
                    "fill in its moment and valence",
                    file=str(p),
                    line=n,
                    field=cat_col or "moment",
                )
            )
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    if not order:
        raise InputError(
            Problem("the file has no comments", "write a header, then rows", file=str(p))
        )
    return [Labelled(i, t, tuple(pairs)) for i, (t, pairs, _) in order.items()]


class _LineError(ValueError):
    def __init__(self, what: str, fix: str, field: str | None = None) -> None:
        super().__init__(what)
        self.what, self.fix, self.field = what, fix, field


def parse_line(line: str, require_categories: bool = False) -> Labelled:
    """One JSONL line as a :class:`Labelled` comment (raises ``_LineError`` when it is wrong)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise _LineError(
            f"not valid JSON ({e.msg} at column {e.colno})", "write one JSON object a line"
        ) from None
    if not isinstance(obj, dict):
        raise _LineError("not a JSON object", 'write {"id": ..., "text": ..., "categories": [...]}')
    ident = obj.get("id")
    if ident is None or isinstance(ident, bool) or not isinstance(ident, str | int):
        raise _LineError("missing or invalid id", "give each line an id (a string)", "id")
    text = obj.get("text")
    if not isinstance(text, str):
        raise _LineError("missing text", "give each line its comment in 'text' (a string)", "text")
    cats = obj.get("categories", [])
    if cats is None:
        cats = []
    if not isinstance(cats, list):
        raise _LineError(
            "categories must be a list",
            'write [{"category": "service", "polarity": "negative"}]',
            "categories",
        )
    pairs: list[tuple[str, str]] = []
    for i, c in enumerate(cats):
        where = f"categories[{i}]"
        if not isinstance(c, dict):
            raise _LineError(
                "a category must be an object", '{"category": ..., "polarity": ...}', where
            )
        name = c.get("category")
        if not isinstance(name, str) or not name.strip():
            raise _LineError("missing category name", "name the category", f"{where}.category")
        pol = c.get("polarity")
        if pol not in POLARITIES:
            raise _LineError(
                f"unknown polarity {pol!r}",
                f"use one of {', '.join(POLARITIES)}",
                f"{where}.polarity",
            )
        name = name.strip()
        before = next((q for n, q in pairs if n == name), None)
        if before == pol:
            continue  # the same label twice (the SemEval files have two): once is enough
        if before is not None:
            raise _LineError(
                f"category '{name}' is given twice, {before} and {pol}",
                "give each category once, with 'conflict' for both positive and negative",
                f"{where}.category",
            )
        pairs.append((name, pol))
    if require_categories and not pairs:
        raise _LineError(
            "no categories: a training comment needs at least one",
            'add "categories": [{"category": ..., "polarity": ...}]',
            "categories",
        )
    extra = {k: v for k, v in obj.items() if k not in ("id", "text", "categories")}
    return Labelled(str(ident), text, tuple(pairs), extra)


def write_comments(comments: Iterable[Labelled | dict[str, Any]], path: str | Path) -> int:
    """Write comments as JSONL (UTF-8, one a line); returns how many were written."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as f:
        for c in comments:
            obj = c.to_json() if isinstance(c, Labelled) else c
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
    return n


def labels_of(comments: Sequence[Labelled]) -> list[list[tuple[str, str]]]:
    return [list(c.categories) for c in comments]
