from __future__ import annotations

import pytest

from moments.errors import MomentsError
from moments.text import TextItem, TextJudge, TextJudgement, available, get, register


class _Echo:
    name = "echo"

    def judge(self, items: list[TextItem]) -> list[TextJudgement]:
        return [TextJudgement(i.lived_id, "neutral", 0.5, i.text) for i in items]


def test_none_turns_text_judging_off() -> None:
    assert get("none") is None and get(None) is None and get("") is None


def test_register_and_get() -> None:
    register("echo", _Echo)
    backend = get("echo")
    assert isinstance(backend, TextJudge)
    assert "echo" in available() and "none" in available()
    assert backend.judge([TextItem("l1", "m", "hi")])[0].reason == "hi"


def test_unknown_backend_says_what_to_do() -> None:
    with pytest.raises(MomentsError, match="install the package that provides it"):
        get("transformer-9000")
