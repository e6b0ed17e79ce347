"""Read journey YAML files and report every problem with file, line, column and field path."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from moments.errors import InputError, Problem
from moments.journey.model import Journey, RuleError

Path_ = tuple[str | int, ...]

_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "string_pattern_mismatch": "use lower-case letters, digits, '-', '_' or '.'",
    "literal_error": "use one of the allowed values",
    "too_short": "add at least one entry",
    "int_parsing": "write a whole number",
    "less_than_equal": "lower the value",
    "greater_than_equal": "raise the value",
    "string_type": "write text; quote it if it looks like a number, a date or yes/no",
    "string_too_long": "shorten it",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "float_type": "write a number",
    "float_parsing": "write a number",
    "list_type": "write a list, one '- item' per line",
    "dict_type": "write a mapping of 'name: value' lines",
    "model_type": "write a mapping of 'name: value' lines",
    "model_attributes_type": "write a mapping of 'name: value' lines",
}
_NO_MERGE = "write the fields out in full"
_FIX_OTHERWISE = "correct this value (see the journey schema for what is allowed)"
_AS_WRITTEN = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")


class Positions(dict[Path_, tuple[int, int]]):
    """Maps a field path to the 1-based (line, column) where its value starts.

    ``key_at`` maps the path of a mapping entry to where its key starts.
    """

    def __init__(self) -> None:
        super().__init__()
        self.key_at: dict[Path_, tuple[int, int]] = {}

    def near(self, path: Path_) -> tuple[int, int] | None:
        while True:
            if path in self:
                return self[path]
            if not path:
                return None
            path = path[:-1]


def _at(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Builder:
    """Turns a YAML node tree into Python data, noting positions and problems on the way."""

    def __init__(self, file: str, pos: Positions, as_written: bool = False) -> None:
        self.file, self.pos = file, pos
        self.as_written = as_written  # yes/no/on/off and dates stay text
        self.problems: list[Problem] = []
        self._scalars = yaml.SafeLoader("")  # resolves scalar types like PyYAML does
        self._open: set[int] = set()  # nodes being built: an alias to one would never end

    def problem(self, node: yaml.Node, what: str, fix: str, path: Path_) -> None:
        line, column = _at(node.start_mark)
        self.problems.append(Problem(what, fix, self.file, line, column, dotted(path) or None))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.pos[path] = _at(node.start_mark)
        if id(node) in self._open:
            self.problem(node, "an alias refers to the value that contains it", "remove it", path)
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(v, (*path, i)) for i, v in enumerate(node.value)]
            return self._scalar(node, path)
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        if self.as_written and node.tag in _AS_WRITTEN:
            return node.value
        try:
            return self._scalars.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError) as e:
            what = getattr(e, "problem", None) or str(e)
            self.problem(node, f"cannot read this value: {what}", "write a plain value", path)
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first: dict[Any, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, "merge keys ('<<') are not supported", _NO_MERGE, path)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a key must be a plain word", "write 'name: value'", path)
                continue
            key = self._scalar(key_node, path)
            if key in first:
                self.problem(
                    key_node,
                    f"key '{key}' appears twice (first at line {first[key][0]})",
                    "keep one",
                    (*path, key),
                )
                continue
            first[key] = self.pos.key_at[(*path, key)] = _at(key_node.start_mark)
            out[key] = self.build(value_node, (*path, key))
        return out


def dotted(path: Iterable[Any]) -> str:
    """A field path as written in messages: ``stages[0].touchpoints[1].id``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def parse_yaml(
    text: str, file: str, what: str = "a journey map", as_written: bool = False
) -> tuple[Any, Positions]:
    """Parse YAML text into Python data and the position of every value.

    With ``as_written``, YAML 1.1's yes/no/on/off and dates are read as the text
    written (in a survey map they are answer labels and column names, not truth values)."""
    pos = Positions()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise InputError(
            Problem(
                f"not valid YAML: {e.problem or e}",
                "fix the syntax near this position (indentation, a missing ':' or quote)",
                file,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            )
        ) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        char = e.character if isinstance(e.character, int) else ord(e.character)
        raise InputError(
            Problem(
                f"not valid YAML: the control character #x{char:04x} is not allowed",
                "delete it, or replace it with a visible character",
                file,
                line,
                column,
            )
        ) from None
    if node is None:
        raise InputError(Problem("the file is empty", f"write {what} into it", file))
    builder = _Builder(file, pos, as_written)
    data = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return data, pos


def pydantic_problems(
    err: ValidationError, file: str, pos: Positions, otherwise: str = _FIX_OTHERWISE
) -> list[Problem]:
    """Each validation error as a Problem at the file, line and column of the value."""
    problems = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        line_col = pos.near(loc)
        msg = e["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(e["type"], otherwise)
        cause = e.get("ctx", {}).get("error")
        if isinstance(cause, RuleError):
            msg, fix = cause.what, cause.fix
        if e["type"] == "literal_error":
            msg = f"{msg} (got {e.get('input')!r})"
        if e["type"] == "extra_forbidden":
            msg = f"unknown field '{loc[-1]}'"
            line_col = pos.key_at.get(loc, line_col)  # point at the key, not its value
        if loc and loc[-1] == "[key]":  # a mapping's key is wrong: point at the key
            loc = loc[:-1]
            line_col = pos.key_at.get(loc, line_col)
            msg = f"'{loc[-1]}': {msg}"
        problems.append(
            Problem(
                msg,
                fix,
                file,
                line_col[0] if line_col else None,
                line_col[1] if line_col else None,
                dotted(loc) or None,
            )
        )
    return problems


def _cross_problems(data: dict[Any, Any], file: str, pos: Positions) -> list[Problem]:
    """Checks that span fields: unique ids, declared owners and measures.

    They run on the raw data, so that they are reported together with the problems the model
    finds; a value of the wrong type is skipped here and left to the model to report.
    """
    problems: list[Problem] = []

    def add(path: Path_, what: str, fix: str) -> None:
        lc = pos.near(path)
        problems.append(
            Problem(what, fix, file, lc[0] if lc else None, lc[1] if lc else None, dotted(path))
        )

    def entries(parent: object, key: str) -> list[tuple[int, dict[Any, Any]]]:
        items = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(items, list):
            return []
        return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)]

    def text(item: dict[Any, Any], key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) else None

    owners: set[str] = set()
    for i, o in entries(data, "owners"):
        oid = text(o, "id")
        if oid is not None and oid in owners:
            add(("owners", i, "id"), f"duplicate owner id '{oid}'", "give each owner its own id")
        if oid is not None:
            owners.add(oid)
    measures = data.get("measures", {})
    known_measures = (
        {k for k in measures if isinstance(k, str)} if isinstance(measures, dict) else None
    )

    seen: dict[str, dict[str, str]] = {"stage": {}, "touchpoint": {}, "moment": {}}

    def unique(kind: str, item: dict[Any, Any], path: Path_) -> None:
        ident = text(item, "id")
        if ident is None:
            return
        if ident in seen[kind]:
            add(
                (*path, "id"),
                f"duplicate {kind} id '{ident}' (first at {seen[kind][ident]})",
                f"give each {kind} its own id",
            )
        else:
            seen[kind][ident] = dotted(path)

    for si, s in entries(data, "stages"):
        sp: Path_ = ("stages", si)
        unique("stage", s, sp)
        for ti, t in entries(s, "touchpoints"):
            tp: Path_ = (*sp, "touchpoints", ti)
            unique("touchpoint", t, tp)
            for mi, m in entries(t, "moments"):
                mp: Path_ = (*tp, "moments", mi)
                unique("moment", m, mp)
                owner = text(m, "owner")
                if owners and owner is not None and owner not in owners:
                    add(
                        (*mp, "owner"),
                        f"unknown owner '{owner}'",
                        f"declare it under 'owners' or use one of: {', '.join(sorted(owners))}",
                    )
                standard = m.get("standard")
                measure = text(standard, "measure") if isinstance(standard, dict) else None
                if (
                    known_measures is not None
                    and measure is not None
                    and measure not in known_measures
                ):
                    declared = ", ".join(sorted(known_measures)) or "none yet"
                    add(
                        (*mp, "standard", "measure"),
                        f"rule on unknown measure '{measure}'",
                        f"declare it under 'measures' (declared: {declared})",
                    )
    return problems


def load_journey_text(text: str, file: str = "<journey>") -> Journey:
    """Validate journey YAML text; raise ``InputError`` listing every problem found."""
    data, pos = parse_yaml(text, file)
    if not isinstance(data, dict):
        line, column = pos.get((), (None, None))
        raise InputError(
            Problem(
                "a journey file must be a mapping with id, name, owners and stages",
                "write 'name: value' lines at the top level, starting with 'id:' and 'name:'",
                file,
                line,
                column,
            )
        )
    problems: list[Problem] = []
    journey = None
    try:
        journey = Journey.model_validate(data)
    except ValidationError as err:
        problems += pydantic_problems(err, file, pos)
    problems += _cross_problems(data, file, pos)
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))  # in file order
        raise InputError(problems)
    assert journey is not None
    return journey


def read_text(path: str | Path) -> str:
    """A YAML file's text; a missing or non-UTF-8 file is an InputError naming it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Problem("no such file", "check the path", str(p))) from None
    except UnicodeDecodeError as e:
        raise InputError(
            Problem(f"not UTF-8 text ({e.reason})", "save the file as UTF-8", str(p))
        ) from None


def load_journey(path: str | Path) -> Journey:
    """Read and validate a journey YAML file."""
    return load_journey_text(read_text(path), str(path))


def check_journey(path: str | Path) -> list[Problem]:
    """Every problem in a journey file (empty when it is valid)."""
    try:
        load_journey(path)
    except InputError as e:
        return e.problems
    return []


def journey_schema() -> dict[str, Any]:
    """JSON Schema of a journey file, for editors."""
    schema = Journey.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "defining-moments journey map"
    return schema
