"""API tokens: shown once, kept as a hash, revocable, useless once revoked or malformed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import moments
from moments.access import tokens as tokens_mod
from moments.access import users as users_mod
from moments.errors import NotFound

PASSWORD = "a long enough password"


def test_a_token_names_its_user_until_revoked(ws: moments.Workspace) -> None:
    users_mod.add_user(ws.store, "ann", "agent", PASSWORD)
    first_id, first = tokens_mod.create_token(ws.store, "ann", "nightly")
    second_id, second = tokens_mod.create_token(ws.store, "ann", "ad hoc")
    assert tokens_mod.TOKEN.match(first) and first_id in first
    stored = ws.store.table("api_tokens").token_hash.to_pyarrow().to_pylist()
    assert not any(first.split("_", 2)[2] in h for h in stored)  # only a hash is kept
    p = tokens_mod.principal_for_token(ws.store, first)
    assert p is not None and p.user_id == "ann" and p.role == "agent"
    tokens_mod.revoke_token(ws.store, first_id)
    assert tokens_mod.principal_for_token(ws.store, first) is None
    assert tokens_mod.principal_for_token(ws.store, second) is not None  # the other one stays
    listed = {t["token_id"]: t for t in tokens_mod.tokens(ws.store, "ann")}
    assert listed[first_id]["revoked_at"] is not None and listed[second_id]["revoked_at"] is None
    assert "token_hash" not in listed[first_id]
    forged = second[:-1] + ("A" if second[-1] != "A" else "B")
    assert tokens_mod.principal_for_token(ws.store, forged) is None
    users_mod.disable_user(ws.store, "ann")
    assert tokens_mod.principal_for_token(ws.store, second) is None  # a disabled user's token
    with pytest.raises(NotFound):
        tokens_mod.revoke_token(ws.store, "000000000000")
    with pytest.raises(NotFound):
        tokens_mod.create_token(ws.store, "nobody")


def test_arbitrary_text_is_never_a_token(ws: moments.Workspace) -> None:
    users_mod.add_user(ws.store, "ann", "agent", PASSWORD)
    _, real = tokens_mod.create_token(ws.store, "ann")

    @settings(max_examples=150, deadline=None)
    @given(st.one_of(st.text(max_size=120), st.text(min_size=1).map(lambda t: real[:-1] + t)))
    def check(text: str) -> None:
        assert text == real or tokens_mod.principal_for_token(ws.store, text) is None

    check()
