"""Reading survey exports: CSV (sniffed delimiter and encoding), Excel, Qualtrics' header rows."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.importers.exports import read_export, sniff_delimiter
from moments.ingest.readers import LINE

PROPERTY = settings(derandomize=True, database=None, max_examples=60, deadline=None)


def _rows(e: object) -> list[dict[str, object]]:
    return e.table.to_pylist()  # type: ignore[attr-defined]


def test_semicolons_and_latin1_are_sniffed(tmp_path: Path) -> None:
    f = tmp_path / "avis.csv"
    f.write_bytes(
        "Client;Accueil;Commentaire\nC1;5;Très bien, merci\nC2;;Café froid\n".encode("latin-1")
    )
    e = read_export(f)
    assert (e.encoding, e.delimiter, e.shape) == ("latin-1", ";", "csv")
    assert e.header == ["Client", "Accueil", "Commentaire"]
    assert _rows(e) == [
        {"Client": "C1", "Accueil": "5", "Commentaire": "Très bien, merci", LINE: 2},
        {"Client": "C2", "Accueil": None, "Commentaire": "Café froid", LINE: 3},
    ]
    assert "latin-1" in e.describe() and "';'" in e.describe()


def test_windows_1252_quotes_and_utf8_bom_and_gzip(tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_bytes("id,comment\n1,“great” – thanks\n".encode("cp1252"))
    e = read_export(f)
    assert e.encoding == "cp1252" and _rows(e)[0]["comment"] == "“great” – thanks"
    g = tmp_path / "b.csv.gz"
    g.write_bytes(gzip.compress("\ufeffid\tscore\n1\t4\n".encode()))
    e = read_export(g)
    assert (e.encoding, e.delimiter, e.header) == ("utf-8", "\t", ["id", "score"])


def test_the_delimiter_and_encoding_can_be_given(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes("a|b;c\n1|2;3\n".encode("latin-1"))
    assert read_export(f, delimiter="|").header == ["a", "b;c"]
    assert read_export(f, delimiter=";").header == ["a|b", "c"]
    with pytest.raises(InputError, match="cannot decode the text as ascii"):
        (tmp_path / "y.csv").write_bytes("a\né\n".encode("latin-1"))
        read_export(tmp_path / "y.csv", encoding="ascii")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_export(f, encoding="klingon")
    with pytest.raises(InputError, match="not one character"):
        read_export(f, delimiter=";;")


@PROPERTY
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    width=st.integers(min_value=2, max_value=8),
    rows=st.integers(min_value=0, max_value=6),
    commas=st.booleans(),
)
def test_the_sniffed_delimiter_is_the_one_written(
    delimiter: str, width: int, rows: int, commas: bool
) -> None:
    # quoted values holding other delimiters do not mislead it
    cell = '"a, b; c | d"' if commas else "x"
    lines = [delimiter.join(f"col {i}" for i in range(width))]
    lines += [delimiter.join([cell, *[str(i) for i in range(width - 1)]]) for _ in range(rows)]
    assert sniff_delimiter("\n".join(lines) + "\n") == delimiter


def test_short_rows_are_set_aside_with_their_line(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text('id,q1,q2\n1,4,5\n2,3\n\n3,"two\nlines",1\n4,5,5,\n', encoding="utf-8")
    e = read_export(f)
    assert [r[LINE] for r in _rows(e)] == [2, 5, 7]  # a trailing empty value is no extra column
    assert [(m.line, m.reason[:24]) for m in e.malformed] == [(3, "has 2 values, fewer than")]


def test_excel_cells_read_as_a_csv_would_hold_them(tmp_path: Path) -> None:
    f = tmp_path / "survey.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["id", "when", "rating", "ratio", "ok", "comment", None])
    ws.append([101, dt.datetime(2024, 3, 1, 9, 30), 4, 0.5, True, "fine", None])
    ws.append([None, None, None, None, None, None, None])  # a blank row
    ws.append([102, dt.date(2024, 3, 2), 5.0, 1.25, False, None, None])
    other = wb.create_sheet("Notes")
    other.append(["note"])
    other.append(["hello"])
    wb.save(f)
    e = read_export(f)
    assert e.shape == "xlsx" and e.header == ["id", "when", "rating", "ratio", "ok", "comment"]
    assert _rows(e) == [
        {"id": "101", "when": "2024-03-01 09:30:00", "rating": "4", "ratio": "0.5", "ok": "true",
         "comment": "fine", LINE: 2},
        {"id": "102", "when": "2024-03-02 00:00:00", "rating": "5", "ratio": "1.25",
         "ok": "false", "comment": None, LINE: 4},
    ]  # fmt: skip
    assert read_export(f, sheet="Notes").header == ["note"]
    with pytest.raises(InputError, match=r"no sheet 'Nope'.*Responses, Notes"):
        read_export(f, sheet="Nope")
    with pytest.raises(InputError, match="--sheet is for Excel"):
        (tmp_path / "a.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        read_export(tmp_path / "a.csv", sheet="x")
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read it as an Excel workbook"):
        read_export(bad)
    renamed = tmp_path / "survey.csv"
    renamed.write_bytes(f.read_bytes())
    with pytest.raises(InputError, match="a zip file"):
        read_export(renamed)


def qualtrics_csv(rows: list[list[str]]) -> str:
    """A Qualtrics export: the names, the question texts, the import ids, then the answers."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


QUALTRICS = qualtrics_csv(
    [
        ["StartDate", "EndDate", "ResponseId", "Q1_1", "Q1_2", "Q2"],
        ["Start Date", "End Date", "Response ID", "How satisfied were you with...\n - Check-in",
         "How satisfied were you with... - Room", "How likely are you to recommend us?"],
        ['{"ImportId":"startDate","timeZone":"Europe/Paris"}',
         '{"ImportId":"endDate","timeZone":"Europe/Paris"}', '{"ImportId":"_recordId"}',
         '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}', '{"ImportId":"QID2"}'],
        ["2024-03-01 10:00:00", "2024-03-01 10:05:00", "R_1", "Very satisfied", "Dissatisfied",
         "9"],
        ["2024-03-02 11:00:00", "2024-03-02 11:04:00", "R_2", "Satisfied", "Satisfied", "7"],
    ]
)  # fmt: skip


def test_qualtrics_header_rows_are_recognised_and_skipped(tmp_path: Path) -> None:
    f = tmp_path / "qualtrics.csv"
    f.write_text(QUALTRICS, encoding="utf-8-sig")
    e = read_export(f)
    assert e.shape == "qualtrics csv"
    assert [r["ResponseId"] for r in _rows(e)] == ["R_1", "R_2"]
    assert [r[LINE] for r in _rows(e)] == [5, 6]  # the question text spans two lines
    assert e.questions["Q1_1"] == "How satisfied were you with... - Check-in"
    assert e.questions["Q2"] == "How likely are you to recommend us?"
    assert e.zones == {"StartDate": "Europe/Paris", "EndDate": "Europe/Paris"}


def test_qualtrics_excel_too(tmp_path: Path) -> None:
    f = tmp_path / "q.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ResponseId", "Q1"])
    ws.append(["Response ID", "How was it?"])
    ws.append(['{"ImportId":"_recordId"}', '{"ImportId":"QID1"}'])
    ws.append(["R_1", 5])
    wb.save(f)
    e = read_export(f)
    assert e.shape == "qualtrics xlsx" and _rows(e) == [{"ResponseId": "R_1", "Q1": "5", LINE: 4}]
    assert e.questions == {"ResponseId": "Response ID", "Q1": "How was it?"}


def test_a_two_row_file_is_not_taken_for_qualtrics(tmp_path: Path) -> None:
    f = tmp_path / "one.csv"
    f.write_text("id,q\n1,5\n", encoding="utf-8")
    assert _rows(read_export(f)) == [{"id": "1", "q": "5", LINE: 2}]


def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_export(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_export(tmp_path)
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="the file is empty"):
        read_export(tmp_path / "empty.csv")
    (tmp_path / "dupe.csv").write_text("id,q,q\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="'q' appear twice"):
        read_export(tmp_path / "dupe.csv")
