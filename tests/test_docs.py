"""Every command has help text and is mentioned in the README."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.main import get_command

from moments.cli.app import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, str | None]]:
    root = get_command(app)
    out = []
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        if subs:
            out += [(f"{name} {s}", c.help) for s, c in subs.items()]
        else:
            out.append((name, cmd.help))
    return out


def test_every_command_has_help_and_a_readme_mention() -> None:
    cmds = _commands()
    assert len(cmds) >= 12
    for name, help_text in cmds:
        assert help_text and len(help_text) > 15, name
        assert f"moments {name}" in README, f"README does not mention 'moments {name}'"


def test_readme_opens_with_the_two_commands() -> None:
    head = README.splitlines()[:8]
    assert any("pip install -e '.[dev]' && moments demo" in line for line in head)
    assert any(line.startswith("pytest") for line in head)


def test_typer_app_is_the_entry_point() -> None:
    assert isinstance(app, typer.Typer)
