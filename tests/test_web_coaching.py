"""The coaching page over a live server: example chats, an uploaded file, bad input."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

import moments
from tests.web_server import serve_store

TURNS = """\
conversation_id,turn_id,role,speaker_id,time,text
c1,1,customer,u1,2026-03-02T10:00:00Z,My card was stolen!
c1,2,agent,ann,2026-03-02T10:05:00Z,"Hi Sam, so sorry. Your card is blocked because it was reported stolen. We can send a new one, or you can use Apple Pay. Will that work? -Ann"
c2,1,customer,u2,2026-03-09T11:00:00Z,I was charged twice.
c2,2,agent,bob,2026-03-09T11:02:00Z,You should have checked. Ticket number 1234 is with the back office.
c2,3,bot,u2,never,???
"""  # noqa: E501


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("coaching") / "store.duckdb"
    moments.open(path, create=True).close()
    with serve_store(path) as base:
        yield base


def test_example_conversations_list_employees_with_scores_and_examples(url: str) -> None:
    page = httpx.get(f"{url}/coaching?example=1", timeout=30).text
    employees = re.findall(r'data-employee="([^"]+)"', page)
    assert sorted(employees) == ["ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo"]
    assert 'href="/coaching"' in page  # the nav link
    assert "Conversations to coach on" in page and "<svg" in page
    one = httpx.get(f"{url}/coaching", params={"example": 1, "employee": "ana"}, timeout=30).text
    assert re.findall(r'data-employee="([^"]+)"', one) == ["ana"] and "By week" in one
    bad = httpx.get(f"{url}/coaching", params={"example": 1, "employee": "zed"}, timeout=30)
    assert bad.status_code == 422 and "no conversations by employee" in bad.text


def test_an_uploaded_file_is_scored_and_its_bad_rows_named(url: str) -> None:
    browser = httpx.Client(base_url=url, timeout=30)
    empty = browser.get("/coaching").text
    assert 'type="file"' in empty and "data-employee" not in empty
    token = {"csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', empty)[0]}
    forged = httpx.post(
        f"{url}/coaching", files={"file": ("mine.csv", TURNS.encode(), "text/csv")}, timeout=30
    )
    assert forged.status_code == 403 and "CSRF" in forged.text  # a form without its token
    r = browser.post(
        "/coaching", files={"file": ("mine.csv", TURNS.encode(), "text/csv")}, data=token
    )
    assert r.status_code == 200
    scores = dict(re.findall(r'data-employee="(\w+)".*?data-score="([\d.]+)"', r.text, re.S))
    assert float(scores["ann"]) > float(scores["bob"])
    assert "mine.csv:6, field &#39;role&#39;: unknown role &#39;bot&#39;" in r.text
    assert "mine.csv:6, field &#39;time&#39;" in r.text
    assert "blame 2: You should have" in r.text  # the evidence of what went wrong
    nothing = browser.post(
        "/coaching", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}, data=token
    )
    assert nothing.status_code == 422 and "missing column" in nothing.text


def test_a_configured_file_is_shown_without_an_upload(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "chats.csv"
    f.write_text(TURNS, encoding="utf-8")
    monkeypatch.setenv("MOMENTS_CONVERSATIONS_FILE", str(f))
    page = httpx.get(f"{url}/coaching", timeout=30).text
    assert "chats.csv" in page and sorted(re.findall(r'data-employee="(\w+)"', page)) == [
        "ann", "bob",
    ]  # fmt: skip


def test_a_coach_opens_an_employee_from_the_page_in_a_browser(url: str, tmp_path: Path) -> None:
    """Upload a file in the browser, then follow an employee of the example chats to their weeks."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("CI"):
            pytest.fail("no Chromium at /usr/bin/chromium (CI is set)", pytrace=False)
        pytest.skip("no Chromium for the browser test")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
    f = tmp_path / "chats.csv"
    f.write_text(TURNS, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=args)
        try:
            page = browser.new_page()
            page.goto(f"{url}/coaching")
            page.get_by_role("link", name="Coaching").first.wait_for()
            page.set_input_files('input[type="file"]', str(f))
            page.get_by_role("button", name="Score").click()
            expect(page.locator("tr[data-employee]")).to_have_count(2)
            expect(page.get_by_text("unknown role 'bot'")).to_be_visible()
            page.get_by_role("link", name="or try generated example conversations").click()
            page.get_by_role("link", name="ana", exact=True).click()
            expect(page.get_by_role("heading", name="By week")).to_be_visible()
            expect(page.locator("tr[data-employee]")).to_have_count(1)
        finally:
            browser.close()
