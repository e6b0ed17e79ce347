"""Signed, expiring survey links: who is asked about which moment, until when.

A token is the payload ``{"c": customer_id, "m": moment_id, "i": interaction_id, "x": expiry}``
signed with :class:`itsdangerous.URLSafeSerializer` (HMAC, URL-safe base64). The expiry is an
integer UTC timestamp inside the signed payload, so every link carries its own and nobody can
extend it without the secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from moments.errors import InputError, MomentsError, Problem

SALT = "moments-survey"
DEFAULT_VALID_FOR = timedelta(days=30)

INVALID_MESSAGE = (
    "This survey link is not valid. Please check that you opened the whole link from your "
    "message, or ask us for a new one."
)


class TokenError(MomentsError):
    """A survey link cannot be used; the message is written for the customer."""


class InvalidToken(TokenError):
    """The link was not made by us, was changed, or is cut short."""

    def __init__(self, message: str = INVALID_MESSAGE) -> None:
        super().__init__(message)


class ExpiredToken(TokenError):
    """The link was made by us but is past its expiry."""

    def __init__(self, expires_at: datetime) -> None:
        self.expires_at = expires_at
        super().__init__(
            f"This survey link expired on {_day(expires_at)}. Thank you for wanting to answer; "
            "we are sorry it is too late for this one."
        )


@dataclass(frozen=True)
class SurveyInvite:
    """What a valid token says: ask this customer about this moment (of this interaction)."""

    customer_id: str
    moment_id: str
    interaction_id: str | None
    expires_at: datetime  # UTC, whole seconds


def _serializer(secret: str) -> URLSafeSerializer:
    if not secret:
        raise ValueError("the survey secret is empty")
    return URLSafeSerializer(secret, salt=SALT)


def _day(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def utc(when: datetime, name: str = "time") -> datetime:
    """``when`` in UTC; a time without a zone is refused (it would be ambiguous)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise InputError(
            Problem(
                f"{when.isoformat()} has no time zone",
                "pass a timezone-aware datetime, e.g. datetime.now(UTC)",
                field=name,
            )
        )
    return when.astimezone(UTC)


def make_token(
    secret: str,
    customer_id: str,
    moment_id: str,
    interaction_id: str | None = None,
    expires_at: datetime | None = None,
    valid_for: timedelta = DEFAULT_VALID_FOR,
) -> str:
    """A URL-safe token inviting ``customer_id`` to answer about ``moment_id``.

    It expires at ``expires_at`` (timezone-aware; whole seconds kept), or ``valid_for`` from now.
    """
    if not customer_id or not moment_id:
        raise ValueError("a survey token needs a customer_id and a moment_id")
    if expires_at is None:
        expires_at = datetime.now(UTC) + valid_for
    payload: dict[str, Any] = {
        "c": customer_id,
        "m": moment_id,
        "x": int(utc(expires_at, "expires_at").timestamp()),
    }
    if interaction_id:
        payload["i"] = interaction_id
    return str(_serializer(secret).dumps(payload))


def read_token(secret: str, token: str, now: datetime | None = None) -> SurveyInvite:
    """The invite in ``token``; raises :class:`InvalidToken` or :class:`ExpiredToken`."""
    if not isinstance(token, str) or not token.isascii():
        raise InvalidToken()
    try:
        payload = _serializer(secret).loads(token.strip())
    except BadData:
        raise InvalidToken() from None
    invite = _invite(payload)
    if utc(now or datetime.now(UTC), "now") >= invite.expires_at:
        raise ExpiredToken(invite.expires_at)
    return invite


def _invite(payload: object) -> SurveyInvite:
    """Check the payload's shape (a correctly signed token of another shape is still invalid)."""
    if not isinstance(payload, dict) or not set(payload) <= {"c", "m", "i", "x"}:
        raise InvalidToken()
    c, m, i, x = payload.get("c"), payload.get("m"), payload.get("i"), payload.get("x")
    if not (isinstance(c, str) and c and isinstance(m, str) and m):
        raise InvalidToken()
    if i is not None and not (isinstance(i, str) and i):
        raise InvalidToken()
    if not isinstance(x, int) or isinstance(x, bool):
        raise InvalidToken()
    try:
        expires_at = datetime.fromtimestamp(x, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken() from None
    return SurveyInvite(customer_id=c, moment_id=m, interaction_id=i, expires_at=expires_at)
