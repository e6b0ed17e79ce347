"""Conversations as turns: reading files with file:line problems, and threading reply links."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.text.conversation import (
    load_turns,
    read_turns,
    sign_off,
    thread_roots,
    turns_from_frame,
    twcs_turns,
)
from tests.conftest import write
from tests.fuzz import clean, yamlish

TURNS_CSV = """\
conversation_id,turn_id,role,speaker_id,time,text
c1,1,customer,u1,2026-03-01T10:00:00Z,My card was stolen and the app froze.
c1,2,agent,ann,2026-03-01T10:04:00+00:00,"I'm so sorry. Your card is blocked now.
You can also freeze it in the app."
c1,3,customer,u1,2026-03-01T10:09:00Z,Thank you!
c2,1,robot,u2,2026-03-01T11:00:00Z,hello
c2,2,customer,u2,yesterday,where is my refund
,3,customer,u2,2026-03-01T11:05:00Z,no conversation
c1,2,agent,ann,2026-03-01T10:05:00Z,the same turn again
c3,1,Customer,u3,2026-03-02T08:00,plain question without a zone
"""


def test_good_rows_are_kept_and_each_bad_row_is_reported_with_file_and_line(
    tmp_path: Path,
) -> None:
    f = write(tmp_path / "turns.csv", TURNS_CSV)
    got = read_turns(f)
    assert got.frame[["conversation_id", "turn_id"]].values.tolist() == [
        ["c1", "1"], ["c1", "2"], ["c1", "3"], ["c3", "1"],
    ]  # fmt: skip
    assert got.frame.loc[1, "text"].endswith("freeze it in the app.")  # a quoted newline
    where = [(p.line, p.field) for p in got.problems]
    # the multi-line quoted row takes lines 3-4, so the bad rows are on lines 6-9
    assert where == [(6, "role"), (7, "time"), (8, "conversation_id"), (9, "turn_id")]
    assert all(p.file == str(f) for p in got.problems)
    assert "already read at line 3" in got.problems[-1].what
    assert got.frame.loc[3, "role"] == "customer"  # 'Customer' is read case-insensitively
    assert str(got.frame.loc[3, "time"]) == "2026-03-02 08:00:00+00:00"  # no zone: UTC
    assert got.conversations == 2


def test_jsonl_rows_that_are_not_objects_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    lines = [
        json.dumps({"conversation_id": "k", "turn_id": 1, "role": "agent", "text": "Hi"}),
        "{not json",
        "[1, 2]",
        "",
        json.dumps({"conversation_id": "k", "turn_id": 2, "role": "customer", "text": None}),
    ]
    got = read_turns(write(tmp_path / "t.jsonl", "\n".join(lines) + "\n"))
    assert got.frame["turn_id"].tolist() == ["1", "2"]
    assert got.frame["text"].tolist() == ["Hi", ""]  # no text is an empty turn, not an error
    assert [p.line for p in got.problems] == [2, 3]
    assert "not valid JSON" in got.problems[0].what


def test_a_file_that_cannot_be_used_at_all_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column"):
        read_turns(write(tmp_path / "a.csv", "conversation,turn,text\n1,2,hi\n"))
    with pytest.raises(InputError, match="no such file"):
        read_turns(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="cannot tell the file's format"):
        read_turns(write(tmp_path / "a.xlsx", "x"))
    with pytest.raises(InputError, match="empty"):
        read_turns(write(tmp_path / "e.csv", ""))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"conversation_id,turn_id,role,text\nc,1,customer,caf\xe9\n")
    got = read_turns(latin)
    assert got.frame.empty and got.problems[0].line == 2
    assert "not UTF-8" in got.problems[0].what


def test_a_dataframe_is_checked_like_a_file() -> None:
    frame = pd.DataFrame(
        {
            "conversation_id": ["a", "a"],
            "turn_id": [1, 2],
            "role": ["agent", "visitor"],
            "text": ["hello", "hi"],
        }
    )
    got = turns_from_frame(frame)
    assert len(got.frame) == 1 and got.problems[0].line == 2 and got.problems[0].field == "role"
    with pytest.raises(InputError, match="missing column"):
        turns_from_frame(frame.drop(columns=["role"]))


def test_reply_links_give_each_message_its_root() -> None:
    parent = {
        "1": None,
        "2": "1",
        "3": "2",
        "4": "99",  # its parent is not in our data: 4 starts a thread
        "5": "4",
        "6": "7",  # 6 -> 7 -> 8 -> 6 is a cycle, 9 hangs off it
        "7": "8",
        "8": "6",
        "9": "8",
    }
    roots = thread_roots(parent)
    assert roots == {"1": "1", "2": "1", "3": "1", "4": "4", "5": "4",
                     "6": "6", "7": "6", "8": "6", "9": "6"}  # fmt: skip
    assert thread_roots(dict(reversed(list(parent.items())))) == roots  # order does not matter


ids = st.integers(0, 30).map(str)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(ids, st.one_of(st.none(), ids), max_size=25))
def test_threading_never_loops_and_is_deterministic(parent: dict[str, str | None]) -> None:
    roots = thread_roots(parent)
    assert set(roots) == set(parent)
    for node, root in roots.items():
        assert root in parent
        # following the links from node reaches root, or a cycle that contains root
        seen, n = [], node
        while n in parent and n not in seen and n != root:
            seen.append(n)
            n = parent[n]  # type: ignore[assignment]
        assert n == root or root in seen or n in seen
    assert thread_roots(parent) == roots


TWCS = """\
,tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id
0,10,501,True,Mon Oct 30 10:00:00 +0000 2017,@BrandHelp my parcel never arrived,11,
1,11,BrandHelp,False,Mon Oct 30 10:05:00 +0000 2017,@501 Sorry! DM us your order number ^KL,12,10.0
2,12,501,True,Mon Oct 30 10:20:00 +0000 2017,@BrandHelp done,13,11.0
3,13,BrandHelp,False,Mon Oct 30 10:30:00 +0000 2017,@501 Thanks! A new one ships today. -Jo,,12.0
4,20,777,True,Mon Oct 30 09:00:00 +0000 2017,@BrandHelp reply to a tweet we do not have,,5.0
"a broken record",,,,,,,
"""


def test_support_tweets_become_conversations_by_their_reply_links(tmp_path: Path) -> None:
    path = tmp_path / "twcs.csv.gz"
    path.write_bytes(gzip.compress(TWCS.encode()))
    turns = twcs_turns(path)
    assert turns["conversation_id"].tolist() == ["10", "10", "10", "10", "20"]
    assert turns["role"].tolist() == ["customer", "agent", "customer", "agent", "customer"]
    assert turns["speaker_id"].tolist() == ["501", "BrandHelp/KL", "501", "BrandHelp/Jo", "777"]
    assert load_turns(path).frame.equals(turns)  # recognised by its header


def test_agent_sign_offs() -> None:
    assert sign_off("Please DM us. ^AB") == "AB"
    assert sign_off("Thanks for stopping by! -Becky") == "Becky"
    assert sign_off("We'll look at it together /KB ") == "KB"
    assert sign_off("Send us a DM.") is None
    assert sign_off("It costs 3 - 5") is None


# --- fuzzing: any file gives turns and located problems, or an InputError — never a crash --

TURN_BITS = ["conversation_id,turn_id,role,text,time\n", "c1,", "1,", "customer,", "agent,",
             "hi", "\n", '"', ",", "\x00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
             "2026-03-01T10:00:00Z", "x" * 200, "Zoë", "\r"]  # fmt: skip


def _read(path: Path) -> None:
    turns = read_turns(path)
    assert all(p.line and p.what and p.fix for p in turns.problems)
    assert turns.frame["time"].isna().all() or str(turns.frame["time"].dtype).endswith("UTC]")


@settings(derandomize=True, database=None, max_examples=100, deadline=None)
@given(
    suffix=st.sampled_from([".csv", ".jsonl"]),
    raw=st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from(TURN_BITS), max_size=30).map(
            lambda b: (TURN_BITS[0] + "".join(b)).encode()
        ),
        st.lists(
            st.fixed_dictionaries(
                {},
                optional=dict.fromkeys(
                    ["conversation_id", "turn_id", "role", "speaker_id", "time", "text"],
                    st.one_of(yamlish(4), st.sampled_from(TURN_BITS)),
                ),
            ).map(json.dumps),
            max_size=5,
        ).map(lambda ls: "\n".join(ls).encode()),
    ),
)
def test_any_file_of_turns_is_read_or_refused_cleanly(
    tmp_path_factory: pytest.TempPathFactory, suffix: str, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"turns{suffix}"
    path.write_bytes(raw)
    clean(lambda: _read(path), str(path))


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('{"conversation_id": "c", "turn_id": 2, "role": "agent", "text": "\\ud800"}', "lone"),
        ('{"conversation_id": "c", "turn_id": ' + "7" * 5000 + "}", "4300 digits"),
        ("[" * 5000, "nested too deeply"),
        (
            '{"conversation_id": "c", "turn_id": 2, "role": "agent", "text": "x", '
            '"time": "0001-01-01T00:00:00+01:00"}',
            "is not a time",
        ),
    ],
)
def test_json_python_cannot_hold_is_a_problem_on_its_line(
    tmp_path: Path, line: str, why: str
) -> None:
    good = '{"conversation_id": "c", "turn_id": 1, "role": "agent", "text": "\\ud83d\\ude00"}'
    turns = read_turns(write(tmp_path / "t.jsonl", good + "\n" + line + "\n"))
    assert turns.frame["text"].tolist() == ["😀"]
    assert [(p.line, why in p.what) for p in turns.problems] == [(2, True)]
