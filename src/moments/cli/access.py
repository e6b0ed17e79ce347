"""``moments users`` and ``moments tokens``: who may use a shared server, and scripts' tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import pyarrow as pa
import typer

from moments.access import tokens as tokens_mod
from moments.access import users as users_mod
from moments.cli import render
from moments.cli.common import DbOpt, errors, open_store, out
from moments.store.schema import ROLES

users_app = typer.Typer(
    help="People who use a shared server: add, list, disable, change a password.",
    no_args_is_help=True,
)
tokens_app = typer.Typer(
    help="API tokens for scripts (Authorization: Bearer …): create, list, revoke.",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def users_add(
    user_id: Annotated[str, typer.Argument(help="Log-in id: lower-case letters, digits, .-_@")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option(help="Full name, shown on pages.")] = "",
    owner: Annotated[
        str | None, typer.Option(help="For a moment owner: the owner id in the journeys.")
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="For a coach: their team's employee ids, comma-separated.")
    ] = None,
    password_stdin: PasswordStdin = False,
    db: DbOpt = None,
) -> None:
    """Add a user. With the first user, `moments serve` requires log-in."""
    with errors(), open_store(db) as ws:
        members = tuple(t.strip() for t in (team or "").split(",") if t.strip())
        user = users_mod.add_user(
            ws.store,
            user_id,
            role,
            _password(password_stdin),
            name=name,
            owner_id=owner,
            team=members,
            actor=ws.principal.user_id,
        )
    out.print(f"added {user.user_id} ({user.role})", highlight=False)


@users_app.command("list")
def users_list(db: DbOpt = None) -> None:
    """Every user with role, owner id or team, and whether disabled."""
    with errors(), open_store(db) as ws:
        rows = [
            {
                "user_id": u.user_id,
                "name": u.name,
                "role": u.role,
                "owner_id": u.owner_id,
                "team": ",".join(u.team),
                "created_at": u.created_at,
                "disabled_at": u.disabled_at,
            }
            for u in users_mod.users(ws.store)
        ]
    out.print(render.table(pa.Table.from_pylist(rows) if rows else pa.table({}), "Users"))


@users_app.command("disable")
def users_disable(user_id: str, db: DbOpt = None) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    with errors(), open_store(db) as ws:
        users_mod.disable_user(ws.store, user_id, actor=ws.principal.user_id)
    out.print(f"disabled {user_id}", highlight=False)


@users_app.command("passwd")
def users_passwd(user_id: str, password_stdin: PasswordStdin = False, db: DbOpt = None) -> None:
    """Set a user's password."""
    with errors(), open_store(db) as ws:
        users_mod.set_password(
            ws.store, user_id, _password(password_stdin), actor=ws.principal.user_id
        )
    out.print(f"password of {user_id} changed", highlight=False)


@tokens_app.command("create")
def tokens_create(
    user_id: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    db: DbOpt = None,
) -> None:
    """Make a token for a user's scripts; it is printed once and only its hash is kept."""
    with errors(), open_store(db) as ws:
        token_id, token = tokens_mod.create_token(
            ws.store, user_id, name, actor=ws.principal.user_id
        )
    out.print(f"token {token_id} for {user_id} (shown once — keep it secret):", highlight=False)
    print(token)


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    db: DbOpt = None,
) -> None:
    """API tokens, newest first: whose, what for, made and revoked when (never the secret)."""
    with errors(), open_store(db) as ws:
        rows = tokens_mod.tokens(ws.store, user)
    out.print(render.table(pa.Table.from_pylist(rows) if rows else pa.table({}), "API tokens"))


@tokens_app.command("revoke")
def tokens_revoke(token_id: str, db: DbOpt = None) -> None:
    """Revoke a token: it stops working at once."""
    with errors(), open_store(db) as ws:
        tokens_mod.revoke_token(ws.store, token_id, actor=ws.principal.user_id)
    out.print(f"revoked {token_id}", highlight=False)
