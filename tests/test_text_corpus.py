from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.text.corpus import Labelled, read_comments, write_comments


def _lines(path: Path, *rows: object) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def test_reads_the_semeval_schema_and_keeps_other_keys(tmp_path: Path) -> None:
    p = _lines(
        tmp_path / "c.jsonl",
        {
            "id": "1",
            "text": "Rude staff",
            "categories": [{"category": "service", "polarity": "negative"}],
            "terms": [{"term": "staff"}],
        },
        "",
        {"id": 2, "text": "ok"},
    )
    a, b = read_comments(p)
    assert a.categories == (("service", "negative"),) and a.extra["terms"] == [{"term": "staff"}]
    assert (b.id, b.categories) == ("2", ())


@pytest.mark.parametrize(
    ("row", "field", "what"),
    [
        ({"id": "1"}, "text", "missing text"),
        ({"text": "hi"}, "id", "missing or invalid id"),
        ({"id": "1", "text": "hi", "categories": "food"}, "categories", "must be a list"),
        (
            {"id": "1", "text": "x", "categories": [{"category": "food", "polarity": "great"}]},
            "categories[0].polarity",
            "unknown polarity 'great'",
        ),
        (
            {"id": "1", "text": "x", "categories": [{"polarity": "positive"}]},
            "categories[0].category",
            "missing category name",
        ),
        (
            {
                "id": "1",
                "text": "x",
                "categories": [
                    {"category": "food", "polarity": "positive"},
                    {"category": "food", "polarity": "negative"},
                ],
            },
            "categories[1].category",
            "given twice",
        ),
    ],
)
def test_bad_line_names_file_line_and_field(
    tmp_path: Path, row: dict[str, object], field: str, what: str
) -> None:
    p = _lines(tmp_path / "c.jsonl", {"id": "0", "text": "fine"}, row)
    with pytest.raises(InputError) as e:
        read_comments(p)
    (problem,) = e.value.problems
    assert (problem.file, problem.line, problem.field) == (str(p), 2, field)
    assert what in problem.what and problem.fix


def test_same_label_twice_is_kept_once(tmp_path: Path) -> None:
    twice = [{"category": "misc", "polarity": "positive"}] * 2
    p = _lines(tmp_path / "c.jsonl", {"id": "1", "text": "x", "categories": twice})
    assert read_comments(p)[0].categories == (("misc", "positive"),)


def test_training_data_needs_categories(tmp_path: Path) -> None:
    p = _lines(tmp_path / "c.jsonl", {"id": "1", "text": "x"})
    with pytest.raises(InputError, match="no categories"):
        read_comments(p, require_categories=True)


def test_not_json_duplicate_ids_and_empty_files(tmp_path: Path) -> None:
    p = _lines(
        tmp_path / "c.jsonl", "{not json", {"id": "1", "text": "a"}, {"id": "1", "text": "b"}
    )
    with pytest.raises(InputError) as e:
        read_comments(p)
    assert [(x.line, x.field) for x in e.value.problems] == [(1, None), (3, "id")]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="no comments"):
        read_comments(empty)
    with pytest.raises(InputError, match="no such file"):
        read_comments(tmp_path / "missing.jsonl")


def test_non_utf8_bytes_are_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "latin1.jsonl"
    p.write_bytes(b'{"id": "1", "text": "ok"}\n{"id": "2", "text": "caf\xe9"}\n')
    with pytest.raises(InputError) as e:
        read_comments(p)
    assert e.value.problems[0].line == 2 and "UTF-8" in e.value.problems[0].fix


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=0, max_size=60),
            st.lists(
                st.tuples(
                    st.text(min_size=1, max_size=10).filter(lambda s: s.strip() == s and s),
                    st.sampled_from(["positive", "negative", "neutral", "conflict"]),
                ),
                max_size=3,
                unique_by=lambda t: t[0],
            ),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_write_then_read_gives_the_same_comments(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, list[tuple[str, str]]]]
) -> None:
    comments = [Labelled(str(i), t, tuple(c)) for i, (t, c) in enumerate(rows)]
    p = tmp_path_factory.mktemp("rt") / "c.jsonl"
    write_comments(comments, p)
    assert read_comments(p) == comments


def test_csv_rows_per_moment_are_grouped_by_id(tmp_path: Path) -> None:
    p = tmp_path / "labels.csv"
    p.write_text(
        "id,text,moment,valence\n"
        '1,"Slow till, lovely stylist",checkout,negative\n'
        '1,"Slow till, lovely stylist",styling-advice,positive\n'
        "2,Nothing to add,,\n",
        encoding="utf-8",
    )
    a, b = read_comments(p)
    assert a.categories == (("checkout", "negative"), ("styling-advice", "positive"))
    assert (b.id, b.text, b.categories) == ("2", "Nothing to add", ())
    with pytest.raises(InputError) as e:
        read_comments(p, require_categories=True)
    assert (e.value.problems[0].line, e.value.problems[0].field) == (4, "moment")


def test_csv_bad_valence_names_line_and_column(tmp_path: Path) -> None:
    p = tmp_path / "labels.csv"
    p.write_text("text,category,polarity\nok,food,positive\nmeh,food,so-so\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_comments(p)
    (problem,) = e.value.problems
    assert (problem.line, problem.field) == (3, "polarity") and "so-so" in problem.what
    bad = tmp_path / "bad.csv"
    bad.write_text("words,moment\nhi,food\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks a text column"):
        read_comments(bad)
