"""Playbooks as code: for a moment of truth, the customer's possible requests and the answers.

A playbook is a YAML file in a ``playbooks/`` folder next to the journey it serves (the shipped
ones are in ``moments/journey/examples/playbooks/``). For each request a customer may make at the
playbook's moments it gives how customers put it (``says``, what the matcher learns from), the
response (``yes``, ``no`` or ``delay``, and the facts to explain), the options that exist, the
policies that may be flexed and by whom, and the words to avoid. It is validated like a journey:
every problem is reported with file, line, column and field.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from moments.errors import InputError, Problem
from moments.journey.loader import (
    Path_,
    Positions,
    dotted,
    parse_yaml,
    pydantic_problems,
    read_text,
)
from moments.journey.model import Id, Journey, RuleError, _Strict

PLACEHOLDERS = ("customer", "request", "moment", "date", "options", "due")
"""What a phrasing may name in braces, filled with the case's facts: the customer (id), the
request's name, the moment's name, the date the customer lived it, the options joined
("A, or B") and when the open case is due."""


def _placeholders(text: str) -> str:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as e:
        raise RuleError(
            f"cannot read the braces in this text ({e})", "write {name} or double braces {{ }}"
        ) from None
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        raise RuleError(
            f"unknown placeholder {{{unknown[0]}}}",
            f"use one of: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
        )
    return text


Phrase = Annotated[str, Field(min_length=1), AfterValidator(_placeholders)]


class Option(_Strict):
    """Something the agent can offer; ``who`` may offer it (an agent unless said otherwise)."""

    id: Id
    text: Phrase
    who: str = "agent"


class Flex(_Strict):
    """A policy that may be bent for this request, by whom, and how far."""

    policy: str
    by: str = Field(description="who may flex it, e.g. agent, team-lead, manager")
    limit: str = ""


class Response(_Strict):
    """The answer to a request. ``no`` and ``delay`` are unwelcome news: the card shows the
    four-step guide built from ``explain``, ``acknowledge`` and the request's options."""

    answer: Literal["yes", "no", "delay"]
    explain: Phrase = Field(description="the facts, without blaming anyone")
    acknowledge: Phrase | None = Field(None, description="overrides the default words")
    steps: list[str] = Field(default_factory=list, description="what the agent does, in order")


class Request(_Strict):
    id: Id
    name: str
    says: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=2, description="how customers put it: the matcher learns from these"
    )
    response: Response
    options: list[Option] = Field(default_factory=list)
    flex: list[Flex] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _options_for_bad_news(self) -> Request:
        if self.response.answer != "yes" and not self.options:
            raise RuleError(
                f"request '{self.id}' answers '{self.response.answer}' but offers no options",
                "list at least one option: unwelcome news is delivered with the options that exist",
            )
        return self


class Playbook(_Strict):
    """The plan for one or more moments of truth of a journey."""

    id: Id
    name: str
    journey: Id
    moments: list[Id] = Field(min_length=1)
    description: str = ""
    avoid: list[str] = Field(default_factory=list, description="words to avoid in every request")
    requests: list[Request] = Field(min_length=1)

    def request(self, request_id: str) -> Request:
        for r in self.requests:
            if r.id == request_id:
                return r
        raise KeyError(request_id)

    def words_to_avoid(self, request: Request) -> list[str]:
        return list(dict.fromkeys([*self.avoid, *request.avoid]))


def _cross_problems(
    data: dict[Any, Any], file: str, pos: Positions, journeys: Mapping[str, Journey] | None
) -> list[Problem]:
    """Unique request ids; the journey and its moments exist (when journeys are given)."""
    problems: list[Problem] = []

    def add(path: Path_, what: str, fix: str) -> None:
        lc = pos.near(path)
        problems.append(
            Problem(what, fix, file, lc[0] if lc else None, lc[1] if lc else None, dotted(path))
        )

    requests = data.get("requests")
    seen: dict[str, int] = {}
    for i, r in enumerate(requests if isinstance(requests, list) else []):
        rid = r.get("id") if isinstance(r, dict) else None
        if isinstance(rid, str):
            if rid in seen:
                add(
                    ("requests", i, "id"),
                    f"duplicate request id '{rid}' (first at requests[{seen[rid]}])",
                    "give each request its own id",
                )
            seen.setdefault(rid, i)
    if journeys is None:
        return problems
    jid = data.get("journey")
    if not isinstance(jid, str):
        return problems
    journey = journeys.get(jid)
    if journey is None:
        known = ", ".join(sorted(journeys)) or "none"
        add(
            ("journey",),
            f"unknown journey '{jid}'",
            f"name a journey that is registered or passed with --journey (known: {known})",
        )
        return problems
    ids = {m.id for _, _, m in journey.moments()}
    moments = data.get("moments")
    for i, mid in enumerate(moments if isinstance(moments, list) else []):
        if isinstance(mid, str) and mid not in ids:
            add(
                ("moments", i),
                f"unknown moment '{mid}' in journey '{jid}'",
                f"use one of: {', '.join(m.id for _, _, m in journey.moments())}",
            )
    return problems


def parse_playbook_text(
    text: str, file: str = "<playbook>", journeys: Mapping[str, Journey] | None = None
) -> Playbook:
    """Validate playbook YAML; with ``journeys``, also that its journey and moments exist.

    Raises ``InputError`` listing every problem found, in file order."""
    data, pos = parse_yaml(text, file, what="a playbook")
    if not isinstance(data, dict):
        line, column = pos.get((), (None, None))
        raise InputError(
            Problem(
                "a playbook must be a mapping with id, name, journey, moments and requests",
                "write 'name: value' lines at the top level, starting with 'id:'",
                file,
                line,
                column,
            )
        )
    problems: list[Problem] = []
    playbook = None
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as err:
        problems += pydantic_problems(
            err, file, pos, otherwise="correct this value (see 'moments playbook schema')"
        )
    problems += _cross_problems(data, file, pos, journeys)
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise InputError(problems)
    assert playbook is not None
    return playbook


def load_playbook(path: str | Path, journeys: Mapping[str, Journey] | None = None) -> Playbook:
    """Read and validate a playbook YAML file."""
    return parse_playbook_text(read_text(path), str(path), journeys)


def journey_index(journeys: Iterable[Journey]) -> dict[str, Journey]:
    return {j.id: j for j in journeys}


def shipped_dir() -> Path:
    """The playbooks shipped with the package, next to the example journeys."""
    return Path(str(resources.files("moments.journey") / "examples" / "playbooks"))


def nearby_journeys(playbook_file: Path) -> dict[str, Journey]:
    """The journeys a playbook file is checked against by default: the journey YAML files in
    the folder above its ``playbooks/`` folder, then the shipped example journeys."""
    from moments.journey.loader import load_journey

    found: dict[str, Journey] = {}
    folders = [playbook_file.resolve().parent.parent, shipped_dir().parent]
    for folder in folders:
        for f in sorted(folder.glob("*.yaml")):
            try:
                j = load_journey(f)
            except InputError:
                continue  # not a journey (or a broken one: 'moments journey check' reports it)
            found.setdefault(j.id, j)
    return found


def check_playbook(
    path: str | Path, journeys: Mapping[str, Journey] | None = None
) -> list[Problem]:
    """Every problem in a playbook file (empty when valid); journeys default to the nearby ones."""
    p = Path(path)
    try:
        load_playbook(p, journeys if journeys is not None else nearby_journeys(p))
    except InputError as e:
        return e.problems
    return []


def playbooks_in(folder: Path, journeys: Mapping[str, Journey]) -> list[Playbook]:
    """The valid playbooks in ``folder`` for the given journeys; files for other journeys are
    skipped, a broken one for these journeys raises ``InputError``."""
    out = []
    for f in sorted(folder.glob("*.yaml")):
        text = read_text(f)
        data, _ = parse_yaml(text, str(f), what="a playbook")
        if isinstance(data, dict) and data.get("journey") not in journeys:
            continue
        out.append(parse_playbook_text(text, str(f), journeys))
    return out


def playbook_folders(source_paths: Sequence[str]) -> list[Path]:
    """Where a store's playbooks live: ``playbooks/`` next to each registered journey's file,
    and the shipped folder."""
    folders: list[Path] = []
    for sp in source_paths:
        folder = Path(sp).parent / "playbooks"
        if folder.is_dir() and folder.resolve() not in [f.resolve() for f in folders]:
            folders.append(folder)
    shipped = shipped_dir()
    if shipped.resolve() not in [f.resolve() for f in folders]:
        folders.append(shipped)
    return folders


def collect(folders: Sequence[Path], journeys: Sequence[Journey]) -> list[Playbook]:
    """Playbooks for ``journeys`` from ``folders``; the first folder holding an id wins."""
    index = journey_index(journeys)
    seen: dict[str, Playbook] = {}
    for folder in folders:
        for pb in playbooks_in(folder, index):
            seen.setdefault(pb.id, pb)
    return list(seen.values())


def playbook_schema() -> dict[str, Any]:
    """JSON Schema of a playbook file, for editors."""
    schema = Playbook.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "defining-moments playbook"
    return schema
