"""Signed session cookies: read back as issued; forged, foreign or expired ones are no session."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

import moments
from moments.access.sessions import csrf_ok, end, ended, issue, read, session_ref


def test_a_cookie_reads_back_as_its_session() -> None:
    value, session = issue("s3cret", "ann")
    again = read("s3cret", value)
    assert again == session and again.user_id == "ann" and len(again.csrf) >= 24
    assert issue("s3cret", "ann")[1].csrf != session.csrf  # each session its own CSRF token


def test_forged_foreign_and_expired_cookies_are_no_session() -> None:
    value, _ = issue("s3cret", "ann")
    assert read("another secret", value) is None
    assert read("s3cret", value[:-2] + ("AA" if value[-2:] != "AA" else "BB")) is None
    assert read("s3cret", value, max_age=-1) is None
    assert read("s3cret", None) is None and read("s3cret", "") is None


def test_a_signed_cookie_without_a_csrf_token_is_no_session() -> None:
    signed = URLSafeTimedSerializer("s3cret", salt="moments-session").dumps({"u": "ann"})
    assert read("s3cret", signed) is None


def test_a_logged_out_session_stays_ended_and_only_that_one(tmp_path: Path) -> None:
    _, mine = issue("s3cret", "ann")
    _, other = issue("s3cret", "ann")  # the same user on another device
    with moments.open(tmp_path / "s.duckdb") as ws:
        assert not ended(ws.store, mine)
        end(ws.store, mine, {"ip": "127.0.0.1"})
        assert ended(ws.store, mine) and not ended(ws.store, other)
        (entry,) = ws.audit(action="logout").to_pyarrow().to_pylist()
    assert (entry["actor"], entry["target"]) == ("ann", session_ref(mine))
    assert mine.csrf not in entry["target"]  # the log cannot be used to forge a form
    with moments.open(tmp_path / "s.duckdb", create=False) as ws:  # another process, later
        assert ended(ws.store, mine)


@given(st.text(max_size=200))
def test_arbitrary_cookie_text_is_never_a_session(text: str) -> None:
    assert read("s3cret", text) is None


def test_csrf_tokens_compare_exactly() -> None:
    assert csrf_ok("abc", "abc")
    assert not csrf_ok("abc", "abd") and not csrf_ok("abc", None) and not csrf_ok("", "")
