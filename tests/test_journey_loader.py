"""Loading journey YAML: every problem reported with file, line, column, field path and fix."""

from __future__ import annotations

import json
import operator
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moments.journey
from moments.errors import InputError, Problem
from moments.journey import check_journey, journey_schema, load_journey, load_journey_text
from moments.journey.model import Condition, Journey
from tests.fuzz import FUZZ, clean, dump_yaml, edited_text, mutated, yamlish

EXAMPLES = Path(moments.journey.__file__).parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
FILE = "journey.yaml"

PROPERTY = settings(
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

BASE = """\
# a small journey for the tests
id: j
name: Test journey
owners:
  - {id: team-a, name: Team A}
  - id: team-b
    name: Team B
measures:
  wait: {label: waited, unit: s}
stages:
  - id: s1
    name: Stage one
    touchpoints:
      - id: t1
        name: Touchpoint one
        channel: web
        moments:
          - id: m1
            name: Moment one
            owner: team-a
            importance: 4
            standard: {measure: wait, exceeded: "<= 10", met: "<= 60"}
      - id: t2
        name: Touchpoint two
        channel: phone
        moments:
          - id: m2
            name: Moment two
            owner: team-b
  - id: s2
    name: Stage two
    touchpoints:
      - id: t3
        name: Touchpoint three
        channel: email
        moments:
          - id: m3
            name: Moment three
            owner: team-a
"""
M1 = "stages[0].touchpoints[0].moments[0]"
M2 = "stages[0].touchpoints[1].moments[0]"
M3 = "stages[1].touchpoints[0].moments[0]"


def edit(*changes: tuple[str, str], text: str = BASE) -> str:
    """BASE with each (old, new) replaced; old must occur exactly once."""
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def at(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) where the nth occurrence of needle starts."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def at_value(text: str, entry: str) -> tuple[int, int]:
    """Where the value of a one-line 'key: value' entry starts."""
    line, column = at(text, entry)
    return line, column + entry.index(": ") + 2


def problems(text: str) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_journey_text(text, FILE)
    found = info.value.problems
    assert found, "an InputError must carry at least one problem"
    for p in found:
        assert p.file == FILE
        assert p.what and p.fix, p
        assert str(p) in str(info.value)
    return found


def one(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def located(p: Problem) -> tuple[int | None, int | None]:
    return p.line, p.column


# --- valid input ---------------------------------------------------------------------------


def test_base_is_valid() -> None:
    journey = load_journey_text(BASE, FILE)
    assert [m.id for _, _, m in journey.moments()] == ["m1", "m2", "m3"]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_load(path: Path) -> None:
    assert check_journey(path) == []
    assert check_journey(str(path)) == []
    journey = load_journey(path)
    assert journey == load_journey_text(path.read_text(encoding="utf-8"))
    assert len(journey.moments()) >= 5  # the Olist order journey is the shortest


def test_yaml_anchors_and_aliases_are_allowed() -> None:
    text = edit(
        ("importance: 4\n", "importance: 4\n            keywords: &kw [a, b]\n"),
        ("name: Moment three\n", "name: Moment three\n            keywords: *kw\n"),
    )
    journey = load_journey_text(text, FILE)
    assert [m.keywords for _, _, m in journey.moments()] == [["a", "b"], [], ["a", "b"]]


# --- YAML-level problems -------------------------------------------------------------------


def test_malformed_yaml_reports_the_line_and_column() -> None:
    text = edit(("name: Test journey", "name: Test: journey"))
    p = one(text)
    assert p.what.startswith("not valid YAML")
    assert "mapping values are not allowed" in p.what
    assert located(p) == at(text, ": journey")
    assert located(p) == (3, 11)


def test_unclosed_bracket_is_reported_where_yaml_notices() -> None:
    text = edit(("channel: phone", "channel: [phone"))
    p = one(text)
    assert p.what.startswith("not valid YAML")
    assert p.line is not None and p.line > at(text, "[phone")[0]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    p = one(text)
    assert p.what == "the file is empty"
    assert p.field is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("- id: j\n- name: J\n", (1, 1)),
        ("# a comment\n\njust some words\n", (3, 1)),
        ("null\n", (1, 1)),
        ("  [1, 2]\n", (1, 3)),
    ],
)
def test_a_document_that_is_not_a_mapping(text: str, where: tuple[int, int]) -> None:
    p = one(text)
    assert "must be a mapping" in p.what
    assert located(p) == where


def test_duplicate_yaml_key_is_located_at_the_second_one() -> None:
    text = edit(("name: Test journey\n", "name: Test journey\nname: Again\n"))
    p = one(text)
    assert p.what == "key 'name' appears twice (first at line 3)"
    assert located(p) == at(text, "name:", 2) == (4, 1)
    assert p.field == "name"


def test_every_duplicate_yaml_key_is_reported() -> None:
    text = edit(
        ("            name: Moment two\n", "            name: Moment two\n            name: Two\n"),
        ("        channel: email\n", "        channel: email\n        channel: web\n"),
    )
    found = problems(text)
    assert [(p.field, located(p)) for p in found] == [
        (f"{M2}.name", at(text, "name: Two")),
        ("stages[1].touchpoints[0].channel", at(text, "channel: web", 2)),
    ]


def test_control_character_is_located() -> None:
    text = edit(("name: Stage two", "name: Stage\x07two"))
    p = one(text)
    assert "#x0007" in p.what
    assert located(p) == at(text, "\x07")


@pytest.mark.parametrize(
    ("snippet", "what"),
    [
        ("? [a, b]\n: c\n", "a key must be a plain word"),
        ("base: &b {x: 1}\nmore:\n  <<: *b\n", "merge keys ('<<') are not supported"),
        ("loop: &l [*l]\n", "an alias refers to the value that contains it"),
        ("when: !!int soon\n", "cannot read this value"),
        ("thing: !custom 1\n", "cannot read this value"),
    ],
)
def test_unusual_yaml_is_a_problem_not_a_crash(snippet: str, what: str) -> None:
    text = BASE + snippet
    p = one(text)
    assert p.what.startswith(what)
    assert p.line is not None and p.line > BASE.count("\n")


# --- structure and field problems ----------------------------------------------------------


def test_missing_required_field_is_reported_at_its_parent() -> None:
    text = edit(("            owner: team-b\n", ""))
    p = one(text)
    assert p.field == f"{M2}.owner"
    assert p.what == "Field required"
    assert p.fix == "add this field"
    assert located(p) == at(text, "id: m2")


def test_missing_top_level_field_is_reported_at_the_document() -> None:
    text = edit(("name: Test journey\n", ""))
    p = one(text)
    assert p.field == "name"
    assert located(p) == at(text, "id: j") == (2, 1)


def test_missing_field_in_a_flow_mapping() -> None:
    text = edit(('met: "<= 60"', 'mett: "<= 60"'))
    found = problems(text)
    by_field = {p.field: p for p in found}
    assert set(by_field) == {f"{M1}.standard.met", f"{M1}.standard.mett"}
    assert located(by_field[f"{M1}.standard.met"]) == at(text, "{measure: wait")
    assert located(by_field[f"{M1}.standard.mett"]) == at(text, "mett")


def test_unknown_field_is_located_at_its_key() -> None:
    text = edit(
        (
            "            name: Moment two\n",
            "            name: Moment two\n            colour:\n              - red\n",
        ),
    )
    p = one(text)
    assert p.what == "unknown field 'colour'"
    assert p.fix == "remove it or check its spelling"
    assert p.field == f"{M2}.colour"
    assert located(p) == at(text, "colour:")


def test_bad_channel_literal() -> None:
    text = edit(("channel: phone", "channel: fax"))
    p = one(text)
    assert p.field == "stages[0].touchpoints[1].channel"
    assert "'fax'" in p.what and "'phone'" in p.what
    assert located(p) == at(text, "fax")


def test_bad_id_pattern() -> None:
    text = edit(("  - id: s2", "  - id: Stage Two"))
    p = one(text)
    assert p.field == "stages[1].id"
    assert "pattern" in p.what
    assert "lower-case" in p.fix
    assert located(p) == at(text, "Stage Two")


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("0", "raise the value"),
        ("9", "lower the value"),
        ("-1", "raise the value"),
        ("high", "write a whole number"),
        ("2.5", "write a whole number"),
    ],
)
def test_importance_out_of_range(value: str, fix: str) -> None:
    text = edit(("importance: 4", f"importance: {value}"))
    p = one(text)
    assert p.field == f"{M1}.importance"
    assert p.fix == fix
    assert located(p) == at_value(text, f"importance: {value}")


def test_wrong_types_get_a_fix() -> None:
    text = edit(
        ("name: Test journey", "name: 2024-01-01"),
        ("measures:\n  wait: {label: waited, unit: s}\n", "measures: [wait]\n"),
        (
            "    touchpoints:\n      - id: t3",
            "    touchpoints:\n      - just-a-word\n      - id: t3",
        ),
    )
    found = problems(text)
    fields = {p.field: p for p in found}
    assert {"name", "measures", "stages[1].touchpoints[0]"} <= set(fields)
    assert "quote it" in fields["name"].fix
    assert located(fields["name"]) == at(text, "2024-01-01")
    assert "mapping" in fields["measures"].fix


def test_empty_list_where_one_entry_is_needed() -> None:
    text = edit(
        (
            "        moments:\n          - id: m3\n            name: Moment three\n"
            "            owner: team-a\n",
            "        moments: []\n",
        )
    )
    p = one(text)
    assert p.field == "stages[1].touchpoints[0].moments"
    assert p.fix == "add at least one entry"
    assert located(p) == at(text, "[]")


# --- checks across fields ------------------------------------------------------------------


def test_duplicate_moment_id_is_located_at_the_second_and_names_the_first() -> None:
    text = edit(("- id: m3", "- id: m1"))
    p = one(text)
    assert p.field == f"{M3}.id"
    assert p.what == f"duplicate moment id 'm1' (first at {M1})"
    assert p.fix == "give each moment its own id"
    assert located(p) == at(text, "m1", 2)


@pytest.mark.parametrize(
    ("old", "new", "kind", "field"),
    [
        ("- id: s2", "- id: s1", "stage", "stages[1].id"),
        ("- id: t3", "- id: t1", "touchpoint", "stages[1].touchpoints[0].id"),
        ("- id: t2", "- id: t1", "touchpoint", "stages[0].touchpoints[1].id"),
    ],
)
def test_duplicate_stage_and_touchpoint_ids(old: str, new: str, kind: str, field: str) -> None:
    text = edit((old, new))
    p = one(text)
    assert p.field == field
    assert p.what.startswith(f"duplicate {kind} id '{new[-2:]}' (first at stages[0]")
    assert located(p) == at(text, new[-2:], 2)


def test_duplicate_owner_id() -> None:
    text = edit(("  - id: team-b\n", "  - id: team-a\n"), ("owner: team-b", "owner: team-a"))
    p = one(text)
    assert p.field == "owners[1].id"
    assert p.what == "duplicate owner id 'team-a'"
    assert located(p) == at(text, "team-a", 2)


def test_unknown_owner() -> None:
    text = edit(("owner: team-b", "owner: team-z"))
    p = one(text)
    assert p.field == f"{M2}.owner"
    assert p.what == "unknown owner 'team-z'"
    assert p.fix == "declare it under 'owners' or use one of: team-a, team-b"
    assert located(p) == at(text, "team-z")


def test_rule_on_an_unknown_measure() -> None:
    text = edit(("measure: wait", "measure: queue"))
    p = one(text)
    assert p.field == f"{M1}.standard.measure"
    assert p.what == "rule on unknown measure 'queue'"
    assert "declared: wait" in p.fix
    assert located(p) == at(text, "queue")


def test_rule_on_a_measure_when_none_is_declared() -> None:
    text = edit(("measures:\n  wait: {label: waited, unit: s}\n", ""))
    p = one(text)
    assert p.field == f"{M1}.standard.measure"
    assert "none yet" in p.fix


def test_thresholds_in_the_wrong_order() -> None:
    text = edit(('exceeded: "<= 10", met: "<= 60"', 'exceeded: "<= 60", met: "<= 10"'))
    p = one(text)
    assert p.field == f"{M1}.standard"
    assert p.what.startswith("thresholds in the wrong order")
    assert "Value error" not in p.what
    assert p.fix
    assert located(p) == at(text, "{measure")


def test_thresholds_in_opposite_directions() -> None:
    text = edit(('met: "<= 60"', 'met: ">= 60"'))
    p = one(text)
    assert p.field == f"{M1}.standard"
    assert "opposite directions" in p.what and "'<'/'<='" in p.fix


def test_a_condition_that_does_not_parse() -> None:
    text = edit(('exceeded: "<= 10"', 'exceeded: "about 10"'))
    p = one(text)
    assert p.field == f"{M1}.standard.exceeded"
    assert p.what == "'about 10' is not a condition"
    assert "'<= 60'" in p.fix
    assert located(p) == at(text, '"about 10"')


def test_survey_problems_are_located() -> None:
    survey = (
        "survey:\n  scale: {min: 1, max: 5, labels: {0: zero}}\n"
        '  missed: "<= 3"\n  exceeded: ">= 3"\n'
    )
    text = edit(("stages:\n", survey + "stages:\n"))
    p = one(text)
    assert p.field == "survey.scale"
    assert "labels [0] fall outside" in p.what
    assert located(p) == at(text, "{min: 1")

    text = edit(("stages:\n", survey.replace(", labels: {0: zero}", "") + "stages:\n"))
    p = one(text)
    assert p.field == "survey"
    assert "must lie below" in p.what and p.fix
    assert located(p) == at(text, "scale:")


def test_every_problem_in_a_file_is_reported() -> None:
    text = edit(
        ("channel: phone", "channel: fax"),
        ("owner: team-b", "owner: team-z"),
        ("importance: 4", "importance: 9"),
        (
            "            name: Moment two\n",
            "            name: Moment two\n            colour: red\n",
        ),
        ("measure: wait", "measure: queue"),
        ("- id: m3", "- id: m1"),
        ("  - id: s2", "  - id: Stage-2"),
    )
    found = problems(text)
    assert sorted((p.field, located(p)) for p in found) == sorted(
        [
            ("stages[0].touchpoints[1].channel", at(text, "fax")),
            (f"{M2}.owner", at(text, "team-z")),
            (f"{M1}.importance", at_value(text, "importance: 9")),
            (f"{M2}.colour", at(text, "colour")),
            (f"{M1}.standard.measure", at(text, "queue")),
            (f"{M3}.id", at(text, "m1", 2)),
            ("stages[1].id", at(text, "Stage-2")),
        ]
    )


def test_cross_checks_skip_values_the_model_already_reports() -> None:
    text = edit(("owner: team-b", "owner: [team-b]"), ("- id: m3", "- id: 7"))
    found = problems(text)
    assert sorted(p.field or "" for p in found) == [f"{M2}.owner", f"{M3}.id"]

    no_owners = edit(("  - {id: team-a, name: Team A}\n  - id: team-b\n    name: Team B\n", ""))
    no_owners = no_owners.replace("owners:\n", "owners: []\n")
    assert [p.field for p in problems(no_owners)] == ["owners"]


# --- files ---------------------------------------------------------------------------------


def test_a_file_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_journey(path)
    (p,) = info.value.problems
    assert (p.what, p.file, p.line) == ("no such file", str(path), None)
    assert p.fix
    assert check_journey(path) == [p]


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("Stage two", "Étape deux").encode("latin-1"))
    (p,) = check_journey(path)
    assert p.what.startswith("not UTF-8 text")
    assert p.fix == "save the file as UTF-8"
    assert p.file == str(path)


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert check_journey(path) == []
    path.write_bytes(b"\xef\xbb\xbf" + edit(("owner: team-b", "owner: team-z")).encode("utf-8"))
    (p,) = check_journey(path)
    assert located(p) == at(edit(("owner: team-b", "owner: team-z")), "team-z")


def test_problems_in_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.yaml"
    path.write_text(edit(("owner: team-b", "owner: team-z")), encoding="utf-8")
    (p,) = check_journey(path)
    assert p.file == str(path)
    line, column = at(path.read_text(encoding="utf-8"), "team-z")
    assert str(p) == (
        f"{path}:{line}:{column}, field '{M2}.owner': unknown owner 'team-z'"
        " — declare it under 'owners' or use one of: team-a, team-b"
    )


# --- JSON Schema ---------------------------------------------------------------------------

ANNOTATIONS = {"title", "description", "default", "examples", "$schema"}


def walk(schema: Any) -> list[dict[str, Any]]:
    """Every subschema (dict) in a schema."""
    out = []
    if isinstance(schema, dict):
        out.append(schema)
        for key, value in schema.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    out += walk(sub)
            elif key in ("items", "additionalProperties") or key == "anyOf":
                for sub in value if isinstance(value, list) else [value]:
                    out += walk(sub)
    return out


def as_json(data: Any) -> Any:
    """The data as a JSON document holds it (mapping keys become strings)."""
    return json.loads(json.dumps(data))


def validate(instance: Any, schema: dict[str, Any], root: dict[str, Any]) -> list[str]:
    """A small validator for the JSON Schema keywords the journey schema uses."""
    errors: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return validate(instance, root["$defs"][name], root)
    if "anyOf" in schema:
        if all(validate(instance, sub, root) for sub in schema["anyOf"]):
            errors.append(f"{instance!r} matches no alternative")
        return errors
    kind = schema.get("type")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "null": type(None),
    }
    if kind is not None and (
        not isinstance(instance, types[kind]) or (isinstance(instance, bool) and kind != "boolean")
    ):
        return [f"{instance!r} is not of type {kind}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{instance!r} not in {schema['enum']}")
    if "pattern" in schema and not re.search(schema["pattern"], instance):
        errors.append(f"{instance!r} does not match {schema['pattern']}")
    if "maxLength" in schema and len(instance) > schema["maxLength"]:
        errors.append(f"{instance!r} is too long")
    if "minimum" in schema and instance < schema["minimum"]:
        errors.append(f"{instance!r} is below {schema['minimum']}")
    if "maximum" in schema and instance > schema["maximum"]:
        errors.append(f"{instance!r} is above {schema['maximum']}")
    if "minItems" in schema and len(instance) < schema["minItems"]:
        errors.append("too few items")
    for item in instance if kind == "array" and "items" in schema else []:
        errors += validate(item, schema["items"], root)
    if kind == "object":
        props = schema.get("properties", {})
        errors += [f"missing {k}" for k in schema.get("required", []) if k not in instance]
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], root)
            elif schema.get("additionalProperties") is False:
                errors.append(f"unexpected {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += validate(value, schema["additionalProperties"], root)
    return errors


def test_journey_schema_is_well_formed() -> None:
    schema = journey_schema()
    json.dumps(schema)  # plain JSON
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert set(schema["required"]) == {"id", "name", "owners", "stages"}
    known = ANNOTATIONS | {
        "$ref", "$defs", "anyOf", "type", "properties", "required", "additionalProperties",
        "items", "minItems", "enum", "pattern", "maxLength", "minimum", "maximum",
    }  # fmt: skip
    for sub in walk(schema):
        assert set(sub) <= known, set(sub) - known
        if "$ref" in sub:
            assert sub["$ref"].removeprefix("#/$defs/") in schema["$defs"]
        if "pattern" in sub:
            re.compile(sub["pattern"])
        if "required" in sub:
            assert set(sub["required"]) <= set(sub["properties"])
        if "properties" in sub:  # every model forbids unknown fields
            assert sub["additionalProperties"] is False
    assert {"Owner", "Measure", "Standard", "Scale", "Survey", "Moment"} <= set(schema["$defs"])


def test_conditions_are_strings_with_a_pattern_in_the_schema() -> None:
    defs = journey_schema()["$defs"]
    fields = [defs["Standard"]["properties"][k] for k in ("exceeded", "met")]
    fields += [defs["Survey"]["properties"][k] for k in ("missed", "exceeded")]
    for field in fields:
        assert field["type"] == "string"
        pattern = re.compile(field["pattern"])
        for example in field["examples"]:
            assert pattern.search(example)
        for good in ["<= 60", ">=9", " < -1.5 "]:
            assert pattern.search(good)
        for bad in ["60", "== 5", "<= abc", "<= 1e3"]:
            assert not pattern.search(bad)


CONDITION_SCHEMA = journey_schema()["$defs"]["Standard"]["properties"]["met"]


@PROPERTY
@given(st.text(alphabet="<>=-. 0123456789ex", max_size=10))
def test_schema_pattern_agrees_with_the_parser(text: str) -> None:
    pattern = CONDITION_SCHEMA["pattern"]
    try:
        Condition.parse(text)
    except ValueError:
        parsed = False
    else:
        parsed = True
    assert bool(re.search(pattern, text)) is parsed


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path: Path) -> None:
    schema = journey_schema()
    data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert validate(data, schema, schema) == []
    # and the small validator is not blind
    broken = {**data, "colour": "red", "stages": [{**data["stages"][0], "id": "Bad Id"}]}
    del broken["name"]
    assert len(validate(broken, schema, schema)) == 3


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_validate_with_jsonschema(path: Path) -> None:
    jsonschema = pytest.importorskip(
        "jsonschema", reason="jsonschema is not installed; the small validator above stands in"
    )
    schema = journey_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    jsonschema.Draft202012Validator(schema).validate(data)


# --- round trip ----------------------------------------------------------------------------

ID_START = "abcdefghijklmnopqrstuvwxyz0123456789"
ID = st.builds(operator.add, st.sampled_from(ID_START), st.text(ID_START + "_.-", max_size=10))
TEXT = st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=8)
NUMBER = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SPACE = st.sampled_from(["", " ", "  "])


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml, where there, is quicker


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False)


def written(draw: st.DrawFn, op: str, threshold: float) -> str:
    """A condition as someone might write it: operator, spaces, a plain decimal number."""
    number = format(Decimal(repr(threshold)), "f")
    return f"{draw(SPACE)}{op}{draw(SPACE)}{number}{draw(SPACE)}"


@st.composite
def standards(draw: st.DrawFn, measures: list[str]) -> dict[str, str]:
    lower = draw(st.booleans())
    a, b = sorted([draw(NUMBER), draw(NUMBER)])
    strict, inclusive = ("<", "<=") if lower else (">", ">=")
    e_op = draw(st.sampled_from([strict, inclusive]))
    m_op = draw(st.sampled_from([strict, inclusive]))
    if a == b and e_op == inclusive:
        m_op = inclusive  # 'exceeded <= x' needs 'met <= x', not 'met < x'
    exceeded, met = (a, b) if lower else (b, a)
    return {
        "measure": draw(st.sampled_from(measures)),
        "exceeded": written(draw, e_op, exceeded),
        "met": written(draw, m_op, met),
    }


@st.composite
def surveys(draw: st.DrawFn) -> dict[str, Any]:
    lo = draw(st.integers(-5, 5))
    hi = draw(st.integers(lo + 1, lo + 10))
    top_missed = draw(st.integers(lo, hi - 1))
    first_exceeded = draw(st.integers(top_missed + 1, hi))
    missed = draw(
        st.sampled_from([("<=", top_missed), ("<", top_missed + 1), ("<", top_missed + 0.5)])
    )
    exceeded = draw(
        st.sampled_from(
            [(">=", first_exceeded), (">", first_exceeded - 1), (">", first_exceeded - 0.5)]
        )
    )
    survey: dict[str, Any] = {
        "scale": {"min": lo, "max": hi},
        "missed": written(draw, *missed),
        "exceeded": written(draw, *exceeded),
    }
    labels = draw(st.dictionaries(st.integers(lo, hi), TEXT, max_size=3))
    if labels:
        survey["scale"]["labels"] = labels
    if draw(st.booleans()):
        survey["question"] = draw(TEXT)
    return survey


@st.composite
def journeys(draw: st.DrawFn) -> dict[str, Any]:
    owners = draw(
        st.lists(
            st.fixed_dictionaries(
                {"id": ID, "name": TEXT},
                optional={
                    "kind": st.sampled_from(["team", "function", "person"]),
                    "email": st.builds("{}@{}.example".format, ID, ID),
                },
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda o: o["id"],
        )
    )
    measures = draw(
        st.dictionaries(
            ID,
            st.fixed_dictionaries({"label": TEXT}, optional={"unit": TEXT, "description": TEXT}),
            max_size=3,
        )
    )
    shape = draw(
        st.lists(st.lists(st.integers(1, 2), min_size=1, max_size=2), min_size=1, max_size=2)
    )
    n_touchpoints = sum(len(s) for s in shape)
    n_moments = sum(sum(s) for s in shape)
    stage_ids = iter(draw(st.lists(ID, min_size=len(shape), max_size=len(shape), unique=True)))
    tp_ids = iter(draw(st.lists(ID, min_size=n_touchpoints, max_size=n_touchpoints, unique=True)))
    m_ids = iter(draw(st.lists(ID, min_size=n_moments, max_size=n_moments, unique=True)))

    def moment() -> dict[str, Any]:
        m: dict[str, Any] = {
            "id": next(m_ids),
            "name": draw(TEXT),
            "owner": draw(st.sampled_from([o["id"] for o in owners])),
        }
        optional = {
            "importance": st.integers(1, 5),
            "kind": st.sampled_from(["basic", "differentiator"]),
            "description": TEXT,
            "survey": surveys(),
            "playbook": ID,
            "keywords": st.lists(TEXT, max_size=2),
        }
        if measures:
            optional["standard"] = standards(sorted(measures))
        for key, strategy in optional.items():
            if draw(st.booleans()):
                m[key] = draw(strategy)
        return m

    journey: dict[str, Any] = {
        "id": draw(ID),
        "name": draw(TEXT),
        "owners": owners,
        "stages": [
            {
                "id": next(stage_ids),
                "name": draw(TEXT),
                "touchpoints": [
                    {
                        "id": next(tp_ids),
                        "name": draw(TEXT),
                        "channel": draw(
                            st.sampled_from(
                                ["web", "app", "phone", "chat", "email", "store", "social", "other"]
                            )
                        ),
                        "moments": [moment() for _ in range(count)],
                    }
                    for count in touchpoints
                ],
            }
            for touchpoints in shape
        ],
    }
    if measures or draw(st.booleans()):
        journey["measures"] = measures
    if draw(st.booleans()):
        journey["survey"] = draw(surveys())
    if draw(st.booleans()):
        journey["description"] = draw(TEXT)
    return journey


@PROPERTY
@given(journeys())
def test_valid_journeys_round_trip_through_yaml(data: dict[str, Any]) -> None:
    text = dump(data)
    journey = load_journey_text(text, FILE)
    assert journey == Journey.model_validate(data)
    assert [m.id for _, _, m in journey.moments()] == [
        m["id"] for s in data["stages"] for t in s["touchpoints"] for m in t["moments"]
    ]

    dumped = journey.model_dump()
    again = load_journey_text(dump(dumped), FILE)
    assert again == journey
    assert again.model_dump() == dumped
    assert json.loads(journey.model_dump_json()) == as_json(dumped)


# --- fuzzing: any input is a journey or an InputError, never a crash -----------------------


@FUZZ
@given(mutated(yaml.safe_load(BASE)))
def test_a_mutated_journey_loads_or_is_refused_cleanly(data: Any) -> None:
    clean(lambda: load_journey_text(dump_yaml(data), FILE), FILE)


@FUZZ
@given(st.one_of(yamlish().map(dump_yaml), edited_text(BASE), st.text(max_size=200)))
def test_any_text_loads_or_is_refused_cleanly(text: str) -> None:
    clean(lambda: load_journey_text(text, FILE), FILE)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_in_a_file_load_or_are_refused_cleanly(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "journey.yaml"
    path.write_bytes(raw)
    clean(lambda: load_journey(path), str(path))
