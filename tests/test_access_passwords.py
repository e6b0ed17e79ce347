"""Password hashes: argon2id, never the password; short passwords refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.access.passwords import MIN_LENGTH, hash_password, verify_password
from moments.errors import InputError


def test_a_hash_is_argon2id_and_verifies_only_the_password() -> None:
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2id$") and "correct" not in h
    assert verify_password(h, "correct horse battery")
    assert not verify_password(h, "correct horse battery ")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not a hash", "correct horse battery")


def test_short_passwords_are_refused_with_the_rule() -> None:
    with pytest.raises(InputError, match=f"at least {MIN_LENGTH}") as e:
        hash_password("short")
    assert e.value.problems[0].field == "password"


@settings(max_examples=8, deadline=None)
@given(st.text(min_size=MIN_LENGTH, max_size=40))
def test_any_long_enough_password_round_trips(password: str) -> None:
    h = hash_password(password)
    assert verify_password(h, password) and not verify_password(h, password + "x")
