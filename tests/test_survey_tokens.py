"""Survey tokens: signed, expiring, and refused when anything about them is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from moments.errors import InputError, MomentsError
from moments.survey import (
    ExpiredToken,
    InvalidToken,
    SurveyInvite,
    TokenError,
    make_token,
    read_token,
)
from moments.survey.tokens import SALT
from tests.fuzz import HUGE, yamlish

SECRET = "test-secret-0123456789"
NOW = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_round_trip_with_and_without_interaction() -> None:
    t = make_token(SECRET, "c1", "checkout", "i1", expires_at=LATER)
    assert read_token(SECRET, t, now=NOW) == SurveyInvite("c1", "checkout", "i1", LATER)
    t = make_token(SECRET, "c1", "checkout", expires_at=LATER)
    assert read_token(SECRET, t, now=NOW).interaction_id is None


def test_token_is_url_safe_and_expiry_is_whole_utc_seconds() -> None:
    paris = ZoneInfo("Europe/Paris")
    other_zone = datetime(2026, 4, 1, 9, 30, 15, 999_999, tzinfo=UTC).astimezone(paris)
    t = make_token(SECRET, "c 1/ü", "checkout", expires_at=other_zone)
    assert all(ch.isalnum() or ch in "-_." for ch in t)
    invite = read_token(SECRET, t, now=NOW)
    assert invite.customer_id == "c 1/ü"
    assert invite.expires_at == datetime(2026, 4, 1, 9, 30, 15, tzinfo=UTC)
    assert invite.expires_at.tzinfo is UTC


def test_default_expiry_is_valid_for_from_now() -> None:
    t = make_token(SECRET, "c1", "checkout", valid_for=timedelta(hours=2))
    expires = read_token(SECRET, t).expires_at
    assert timedelta(hours=1, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=2)


def test_each_token_has_its_own_expiry() -> None:
    soon = make_token(SECRET, "c1", "checkout", expires_at=NOW + timedelta(days=1))
    late = make_token(SECRET, "c1", "checkout", expires_at=NOW + timedelta(days=60))
    when = NOW + timedelta(days=2)
    assert read_token(SECRET, late, now=when).moment_id == "checkout"
    with pytest.raises(ExpiredToken):
        read_token(SECRET, soon, now=when)


def test_expired_with_a_fixed_now() -> None:
    t = make_token(SECRET, "c1", "checkout", expires_at=LATER)
    read_token(SECRET, t, now=LATER - timedelta(seconds=1))
    with pytest.raises(ExpiredToken) as e:
        read_token(SECRET, t, now=LATER)
    assert e.value.expires_at == LATER
    assert str(e.value).startswith("This survey link expired on 6 April 2026")
    assert isinstance(e.value, TokenError) and isinstance(e.value, MomentsError)


def _flip(ch: str) -> str:
    return "A" if ch != "A" else "B"


@pytest.mark.parametrize("where", ["payload", "signature", "separator"])
def test_tampered_token_is_invalid(where: str) -> None:
    t = make_token(SECRET, "c1", "checkout", expires_at=LATER)
    payload, _, sig = t.partition(".")
    if where == "payload":
        bad = _flip(payload[0]) + payload[1:] + "." + sig
    elif where == "signature":
        bad = payload + "." + _flip(sig[0]) + sig[1:]
    else:
        bad = payload + "_" + sig
    with pytest.raises(InvalidToken) as e:
        read_token(SECRET, bad, now=NOW)
    assert str(e.value).startswith("This survey link is not valid")


def test_extended_expiry_is_refused() -> None:
    """Re-signing a later expiry needs the secret: a forged payload with the old signature fails."""
    s = URLSafeSerializer("someone-else", salt="moments-survey")
    real = make_token(SECRET, "c1", "checkout", expires_at=NOW)
    forged = s.dumps({"c": "c1", "m": "checkout", "x": int(LATER.timestamp())})
    mixed = forged.partition(".")[0] + "." + real.partition(".")[2]
    for t in (forged, mixed):
        with pytest.raises(InvalidToken):
            read_token(SECRET, t, now=NOW)


@pytest.mark.parametrize(
    "garbage", ["", ".", "abc", "abc.def", "a" * 500, "ü.ü", "\ud800x", "e30.e30", " \n"]
)
def test_garbage_is_invalid(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        read_token(SECRET, garbage, now=NOW)


def test_wrong_secret_and_wrong_salt_are_invalid() -> None:
    t = make_token(SECRET, "c1", "checkout", expires_at=LATER)
    with pytest.raises(InvalidToken):
        read_token("another-secret", t, now=NOW)
    other_salt = URLSafeSerializer(SECRET, salt="password-reset").dumps(
        {"c": "c1", "m": "checkout", "x": int(LATER.timestamp())}
    )
    with pytest.raises(InvalidToken):
        read_token(SECRET, other_salt, now=NOW)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        {"c": "c1", "m": "checkout"},
        {"c": "c1", "m": "checkout", "x": "soon"},
        {"c": "c1", "m": "checkout", "x": True},
        {"c": "", "m": "checkout", "x": 1},
        {"c": "c1", "m": "checkout", "i": 5, "x": 1},
        {"c": "c1", "m": "checkout", "x": 10**20},
        {"c": "c1", "m": "checkout", "x": 1, "admin": True},
    ],
)
def test_correctly_signed_payload_of_another_shape_is_invalid(payload: object) -> None:
    t = URLSafeSerializer(SECRET, salt="moments-survey").dumps(payload)
    with pytest.raises(InvalidToken):
        read_token(SECRET, t, now=NOW)


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(InputError) as e:
        make_token(SECRET, "c1", "checkout", expires_at=datetime(2026, 4, 1))
    assert e.value.problems[0].field == "expires_at"
    t = make_token(SECRET, "c1", "checkout", expires_at=LATER)
    with pytest.raises(InputError):
        read_token(SECRET, t, now=datetime(2026, 3, 7))


def test_empty_ids_or_secret_are_refused() -> None:
    with pytest.raises(ValueError):
        make_token(SECRET, "", "checkout")
    with pytest.raises(ValueError):
        make_token("", "c1", "checkout")


ids = st.text(min_size=1, max_size=40)
PROPERTY = settings(derandomize=True, database=None, max_examples=100, deadline=None)


@PROPERTY
@given(
    customer=ids,
    moment=ids,
    interaction=st.none() | ids,
    seconds=st.integers(min_value=1, max_value=10 * 365 * 86400),
)
def test_any_ids_round_trip(
    customer: str, moment: str, interaction: str | None, seconds: int
) -> None:
    expires = NOW + timedelta(seconds=seconds)
    t = make_token(SECRET, customer, moment, interaction, expires_at=expires)
    assert read_token(SECRET, t, now=NOW) == SurveyInvite(customer, moment, interaction, expires)


@PROPERTY
@given(
    customer=ids,
    interaction=st.none() | ids,
    position=st.integers(min_value=0),
    replacement=st.characters(),
)
def test_any_single_character_change_is_rejected_or_harmless(
    customer: str, interaction: str | None, position: int, replacement: str
) -> None:
    t = make_token(SECRET, customer, "checkout", interaction, expires_at=LATER)
    i = position % len(t)
    changed = t[:i] + replacement + t[i + 1 :]
    try:
        invite = read_token(SECRET, changed, now=NOW)
    except InvalidToken:
        return
    # base64's last character has spare bits; anything accepted must say exactly the same
    assert invite == read_token(SECRET, t, now=NOW)


@PROPERTY
@given(st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.hex())))
def test_any_text_is_refused_as_a_token(token: str) -> None:
    with pytest.raises(InvalidToken):
        read_token(SECRET, token, now=NOW)


@PROPERTY
@given(
    st.one_of(
        yamlish(),
        st.fixed_dictionaries(
            {},
            optional={k: st.one_of(yamlish(3), HUGE, st.integers()) for k in ["c", "m", "i", "x"]},
        ),
    )
)
def test_a_correctly_signed_token_of_any_shape_is_valid_or_refused(payload: object) -> None:
    """Even with the secret, a payload of another shape cannot crash the reader."""
    token = URLSafeSerializer(SECRET, salt=SALT).dumps(payload)
    try:
        invite = read_token(SECRET, token, now=NOW)
    except TokenError:
        return
    assert isinstance(payload, dict)
    assert (invite.customer_id, invite.moment_id) == (payload["c"], payload["m"])
