"""Fuzzing strategies shared by the parsers' property tests.

The property every parser must keep: whatever it is given (random text or bytes, random
YAML-like structures, a valid file with keys deleted, values of the wrong type, huge numbers,
odd unicode, NUL bytes), it returns a valid result or raises ``InputError`` whose problems each
say what is wrong, where and what to do — never another exception.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from moments.errors import InputError

FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ODD_TEXT = st.sampled_from(
    ["\x00", "a\x00b", "\u202e", "\ufeff", "😀", "Zoë", "\u0301", " ", "", "\n", "null", "~"]
)
TEXT = st.one_of(st.text(max_size=12), ODD_TEXT)
HUGE = st.sampled_from([10**30, -(10**30), 10**400, 2**63, -(2**63) - 1, 1e308, 1e-320])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    HUGE,
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
KEYS = st.one_of(st.text(max_size=8), st.sampled_from(["id", "name", "", "\x00", "x" * 200]))


def yamlish(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Arbitrary nested data such as a YAML or JSON document holds."""
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``data`` (the document itself is the empty path)."""
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _places(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _places(v, (*path, i))
    return out


def _replacements() -> st.SearchStrategy[Any]:
    return st.one_of(
        SCALARS,
        HUGE,
        ODD_TEXT,
        st.just([]),
        st.just({}),
        yamlish(6),
    )


@st.composite
def mutated(draw: st.DrawFn, valid: Any, max_changes: int = 3) -> Any:
    """``valid`` with 1 to ``max_changes`` changes: a key deleted, a value replaced by one of
    another type (huge numbers, odd unicode, NUL, lists, mappings), wrapped in a list, or a
    list entry duplicated."""
    data = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, max_changes))):
        path = draw(st.sampled_from(_places(data)))
        if not path:
            data = draw(st.one_of(_replacements(), st.just([data])))
            continue
        parent = data
        for p in path[:-1]:
            parent = parent[p]
        key = path[-1]
        how = draw(st.sampled_from(["delete", "replace", "wrap", "duplicate", "stringify"]))
        if how == "delete":
            del parent[key]
        elif how == "replace":
            parent[key] = draw(_replacements())
        elif how == "wrap":
            parent[key] = [parent[key]]
        elif how == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:
            parent[key] = str(parent[key])
    return data


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def edited_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few characters inserted, deleted or replaced (NULs and odd unicode too)."""
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        new = draw(st.one_of(st.text(max_size=4), ODD_TEXT, st.sampled_from([":", "-", "'", "{"])))
        text = text[:i] + new + text[j:]
    return text


T = TypeVar("T")


def clean(call: Callable[[], T], file: str | None = None) -> T | InputError:
    """The result of ``call``, or the InputError it raised after checking that each of its
    problems says what is wrong and what to do (and names ``file`` when given).

    Any other exception propagates, failing the test."""
    try:
        return call()
    except InputError as e:
        assert e.problems, "an InputError must carry at least one problem"
        for p in e.problems:
            assert p.what.strip(), p
            assert p.fix.strip(), p
            if file is not None:
                assert p.file == file, p
        return e
