"""Signed session cookies and the CSRF token that goes with each session.

The cookie holds the user id, a random CSRF token and when it was issued, signed with the
store's secret (itsdangerous). A session ends when it expires, when the user is disabled or
their password changes (the cookie carries a fingerprint of the password's hash), and when the
user logs out: the ``logout`` audit entry names the session by a hash of its CSRF token, so a
copy of the cookie is refused afterwards, by every process serving the store. All three are
checked on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "moments_session"
MAX_AGE = 12 * 3600  # a working day
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Session:
    user_id: str
    csrf: str
    stamp: str = ""  # the password's fingerprint when the session began


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="moments-session")


def issue(secret: str, user_id: str, stamp: str = "") -> tuple[str, Session]:
    """A new session for ``user_id``: the cookie value and the session it stands for."""
    session = Session(user_id=user_id, csrf=secrets.token_urlsafe(24), stamp=stamp)
    value = _serializer(secret).dumps({"u": session.user_id, "c": session.csrf, "p": stamp})
    return value, session


def read(secret: str, value: str | None, max_age: int = MAX_AGE) -> Session | None:
    """The session a cookie stands for, ``None`` if it is missing, forged or expired."""
    if not value:
        return None
    try:
        data = _serializer(secret).loads(value, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str):
        return None
    csrf, stamp = data.get("c"), data.get("p")
    if not isinstance(csrf, str) or not csrf:  # every session has one: it also names it
        return None
    return Session(user_id=data["u"], csrf=csrf, stamp=stamp if isinstance(stamp, str) else "")


def session_ref(session: Session) -> str:
    """How the audit log names one session: a hash of its CSRF token, which only it holds."""
    return "session:" + hashlib.sha256(session.csrf.encode()).hexdigest()[:24]


def end(store: Any, session: Session, detail: dict[str, Any] | None = None) -> None:
    """Log the session out for good: its cookie, or any copy of it, is refused from now on."""
    from moments.governance.audit import record

    record(store, session.user_id, "logout", session_ref(session), detail)


def ended(store: Any, session: Session) -> bool:
    """Whether the session was logged out."""
    a = store.table("audit")
    hit = a.filter((a.action == "logout") & (a.target == session_ref(session)))
    return bool(hit.count().to_pyarrow().as_py())


def csrf_ok(expected: str, presented: str | None) -> bool:
    """Whether a form's CSRF token matches the session's (compared in constant time)."""
    return bool(expected) and bool(presented) and hmac.compare_digest(expected, presented or "")
