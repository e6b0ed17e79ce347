"""moments users / tokens through the CLI, and serve's refusal to expose the no-log-in default."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import moments
from moments.access import tokens as tokens_mod
from moments.cli.app import app

runner = CliRunner()
PASSWORD = "a long enough password"


def test_users_and_tokens_round_trip(ws: moments.Workspace) -> None:
    db = str(ws.store.location)
    ws.close()
    add = ["users", "add", "olga", "--role", "owner", "--owner", "store-ops", "--name", "Olga"]
    r = runner.invoke(app, [*add, "--password-stdin", "--db", db], input=PASSWORD + "\n")
    assert r.exit_code == 0 and "added olga (owner)" in r.output, r.output
    again = runner.invoke(app, [*add, "--password-stdin", "--db", db], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output
    short = runner.invoke(
        app, ["users", "add", "ann", "--role", "agent", "--password-stdin", "--db", db], input="x\n"
    )
    assert short.exit_code == 1 and "at least 10" in short.output
    prompted = runner.invoke(
        app,
        ["users", "add", "ann", "--role", "agent", "--db", db],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(app, ["users", "list", "--db", db])
    assert (
        "olga" in listed.output and "store-ops" in listed.output and "argon2" not in listed.output
    )
    made = runner.invoke(app, ["tokens", "create", "ann", "--name", "script", "--db", db])
    token = made.output.strip().splitlines()[-1]
    assert made.exit_code == 0 and tokens_mod.TOKEN.match(token)
    token_id = tokens_mod.TOKEN.match(token).group(1)  # type: ignore[union-attr]
    assert token_id in runner.invoke(app, ["tokens", "list", "--db", db]).output
    assert runner.invoke(app, ["tokens", "revoke", token_id, "--db", db]).exit_code == 0
    assert runner.invoke(app, ["users", "disable", "ann", "--db", db]).exit_code == 0
    with moments.open(db, create=False) as w:
        assert tokens_mod.principal_for_token(w.store, token) is None
        actions = [a["action"] for a in w.audit().to_pyarrow().to_pylist()]
    assert {"user.add", "token.create", "token.revoke", "user.disable"} <= set(actions)


def test_serve_refuses_another_address_without_users(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    moments.open(db).close()
    r = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--db", db])
    assert r.exit_code == 1 and "add an admin first" in r.output
