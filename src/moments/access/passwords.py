"""Password hashes: argon2id through argon2-cffi, never the password itself."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moments.errors import InputError, Problem

_HASHER = PasswordHasher()
MIN_LENGTH = 10
# verified against when the user is unknown, so a wrong name takes as long as a wrong password
_DUMMY = _HASHER.hash("not a password of anyone")


def check_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_LENGTH:
        raise InputError(
            Problem(
                f"the password has {len(password)} characters",
                f"use at least {MIN_LENGTH}; a few random words are easy to remember",
                field="password",
            )
        )


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; a missing hash never matches."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
