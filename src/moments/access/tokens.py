"""API tokens for scripts: ``Authorization: Bearer mmt_<id>_<secret>``.

Only a SHA-256 of the secret is kept (the secret is 32 random bytes, so a fast hash is as safe
as a slow one); the token is shown once, when it is made. Revoking takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

import ibis
import pyarrow as pa

from moments.access.roles import Principal
from moments.access.users import active_principal, get_user, rewrite
from moments.errors import NotFound
from moments.store import Store
from moments.store.schema import API_TOKENS

PREFIX = "mmt_"
TOKEN = re.compile(r"^mmt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(store: Store, user_id: str, name: str = "", actor: str = "") -> tuple[str, str]:
    """A new token for ``user_id``: (token id, the token to hand to the script — once)."""
    from moments.governance.audit import record

    get_user(store, user_id)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = {
        "token_id": token_id,
        "user_id": user_id,
        "name": name,
        "token_hash": _digest(secret),
        "created_at": datetime.now(UTC),
        "revoked_at": None,
    }
    with store.transaction():
        store.append("api_tokens", pa.Table.from_pylist([row], schema=API_TOKENS.to_pyarrow()))
        record(store, actor, "token.create", token_id, {"user_id": user_id, "name": name})
    return token_id, f"{PREFIX}{token_id}_{secret}"


def tokens(store: Store, user_id: str | None = None) -> list[dict[str, object]]:
    """Tokens (without their hashes), newest first."""
    t = store.table("api_tokens")
    if user_id is not None:
        t = t.filter(t.user_id == user_id)
    t = t.drop("token_hash").order_by(ibis.desc("created_at"))
    return t.to_pyarrow().to_pylist()


def revoke_token(store: Store, token_id: str, actor: str = "") -> None:
    from moments.governance.audit import record

    t = store.table("api_tokens")
    if not t.filter(t.token_id == token_id).count().to_pyarrow().as_py():
        raise NotFound(f"no API token '{token_id}' — see `moments tokens list`")
    now = ibis.literal(datetime.now(UTC), type=API_TOKENS["revoked_at"])
    with store.transaction():
        rewrite(
            store,
            "api_tokens",
            t.mutate(
                revoked_at=ibis.ifelse(
                    (t.token_id == token_id) & t.revoked_at.isnull(), now, t.revoked_at
                )
            ),
        )
        record(store, actor, "token.revoke", token_id, None)


def principal_for_token(store: Store, token: str) -> Principal | None:
    """Who a presented token belongs to; ``None`` for a malformed, unknown or revoked token or
    a disabled user."""
    m = TOKEN.match(token)
    if not m:
        return None
    token_id, secret = m.groups()
    t = store.table("api_tokens")
    rows = t.filter(t.token_id == token_id).to_pyarrow().to_pylist()
    if not rows or rows[0]["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(rows[0]["token_hash"], _digest(secret)):
        return None
    return active_principal(store, rows[0]["user_id"])
