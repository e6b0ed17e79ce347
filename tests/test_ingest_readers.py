from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.ingest.readers import LINE, detect_format, open_source


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
