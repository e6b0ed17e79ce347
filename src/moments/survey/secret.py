"""The key that signs survey links: the configured one, else one made once per store."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from moments.workspace import Workspace

META_KEY = "survey_secret"


def _configured(ws: Workspace) -> str | None:
    value = getattr(ws.settings, "secret_key", None)
    if value is not None and hasattr(value, "get_secret_value"):  # pydantic SecretStr
        value = value.get_secret_value()
    return value if isinstance(value, str) and value.strip() else None


def store_secret(ws: Workspace) -> str:
    """The secret for survey tokens of this store.

    ``settings.secret_key`` (``MOMENTS_SECRET_KEY``) when set; otherwise a random secret made the
    first time it is needed and kept in the store's ``meta`` table, so links stay valid across
    restarts and every process that opens the store signs alike.
    """
    configured = _configured(ws)
    if configured is not None:
        return configured
    found = ws.store.meta(META_KEY)
    if found:
        return found
    with ws.store.transaction():
        found = ws.store.meta(META_KEY)  # someone may have made it meanwhile
        if not found:
            found = secrets.token_urlsafe(32)
            ws.store.append("meta", pa.table({"key": [META_KEY], "value": [found]}))
    return found
