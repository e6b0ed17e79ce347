from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.ingest.readers import LINE, detect_format, open_source
from tests.fuzz import FUZZ, clean, yamlish


def _rows(path: Path, **kw: object) -> tuple[list[dict[str, object]], list[int]]:
    src = open_source(path, **kw)  # type: ignore[arg-type]
    rows = [r for chunk in src.chunks or [] for r in chunk.to_pylist()]
    return rows, [m.line for m in src.malformed]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.tsv", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.parquet", "parquet"),
        ("a.csv.parquet", "parquet"),
    ],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(Path(name), None) == fmt


def test_explicit_format_is_checked() -> None:
    with pytest.raises(InputError, match="unknown format 'xls'"):
        detect_format(Path("a.csv"), "xls")


def test_csv_lines_blank_lines_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes("\ufeffa,b\n1,2\n\n3,\n".encode())
    rows, bad = _rows(p)
    assert rows == [{"a": "1", "b": "2", LINE: 2}, {"a": "3", "b": None, LINE: 4}] and bad == []


def test_progress_counts_every_byte(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("a,b\n" + "1,2\n" * 1000)
    seen: list[int] = []
    rows, _ = _rows(p, progress=seen.append)
    assert len(rows) == 1000 and sum(seen) == p.stat().st_size


def test_header_without_names(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("a,,c\n1,2,3\n")
    with pytest.raises(InputError, match="column 2 has no name"):
        open_source(p)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        open_source(tmp_path)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=6),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_csv_round_trip_property(
    tmp_path_factory: pytest.TempPathFactory, table: list[list[str]]
) -> None:
    """Whatever the cell text (quotes, commas, newlines), values and start lines come back."""
    import csv
    import io

    expected_lines, line = [], 2
    body = io.StringIO()
    w = csv.writer(body, lineterminator="\n")
    for r in table:
        before = body.tell()
        w.writerow(r)
        expected_lines.append(line)
        line += body.getvalue()[before:].count("\n")
    p = tmp_path_factory.mktemp("csv") / "x.csv"
    p.write_bytes(("a,b,c\n" + body.getvalue()).encode())
    rows, bad = _rows(p, delimiter=",")
    assert bad == []
    assert [[g["a"], g["b"], g["c"]] for g in rows] == [
        [v if v != "" else None for v in r] for r in table
    ]
    assert [g[LINE] for g in rows] == expected_lines


# --- fuzzing: any file gives rows and malformed lines, or an InputError — never a crash ----


def _read_all(path: Path) -> None:
    src = open_source(path)
    try:
        for chunk in src.chunks or []:
            assert LINE in chunk.column_names
    finally:
        src.close()
    for m in src.malformed:
        assert m.line >= 1 and m.reason


@FUZZ
@given(
    suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]),
    raw=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.text(max_size=30), max_size=8).map(lambda ls: "\n".join(ls).encode()),
    ),
)
def test_any_bytes_are_rows_or_a_located_problem(
    tmp_path_factory: pytest.TempPathFactory, suffix: str, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"events{suffix}"
    path.write_bytes(raw)
    clean(lambda: _read_all(path), str(path))


JSON_BITS = ['{"a": ', '"b"', "}", "[", "]", ",", ":", '"\\ud800"', '"\\ud83d\\ude00"', "1e999",
             "NaN", "7" * 4400, "[" * 2000, "null", '"\\u0000"', " ", '{"_line": 1}']  # fmt: skip


@FUZZ
@given(
    st.lists(
        st.one_of(
            yamlish(8).map(json.dumps),
            st.lists(st.sampled_from(JSON_BITS), max_size=12).map("".join),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_json_lines_are_rows_or_malformed_lines(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    """Objects with any values (nested, huge numbers, NaN, NUL, lone surrogates) and non-objects."""
    path = tmp_path_factory.mktemp("fuzz") / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean(lambda: _read_all(path), str(path))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"a": "\\ud800x"}', "lone surrogate"),
        ('{"\\udfff": 2}', "lone surrogate"),
        ('{"a": ' + "7" * 5000 + "}", "4300 digits"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_json_that_python_cannot_hold_as_text_is_a_malformed_line(
    tmp_path: Path, line: str, reason: str
) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text(line + '\n{"a": "\\ud83d\\ude00"}\n', encoding="utf-8")
    rows, bad = _rows(p)
    assert rows == [{"a": "😀", LINE: 2}] and bad == [1]
    assert reason in _malformed(p)


def _malformed(p: Path) -> str:
    src = open_source(p)
    for _ in src.chunks or []:
        pass
    return src.malformed[0].reason


def test_an_unreadable_header_says_what_to_do(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text('"a"b,c\n1,2\n')
    with pytest.raises(InputError, match="cannot read the header row") as e:
        open_source(p)
    assert e.value.problems[0].fix
