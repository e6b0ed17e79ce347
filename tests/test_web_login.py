"""Log-in in a real browser (headless Chromium): a moment owner signs in, sees only their
moments, is refused the customer card, and logs out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

import moments
from moments.access import users as users_mod
from moments.web.app import create_app
from tests.web_server import serve_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
PASSWORD = "a long enough password"


@pytest.fixture
def url(loaded: moments.Workspace) -> Iterator[str]:
    users_mod.add_user(loaded.store, "olga", "owner", PASSWORD, owner_id="stylists", name="Olga")
    path = loaded.store.location
    loaded.close()
    app = create_app(path)
    try:
        with serve_app(app) as base:
            yield base
    finally:
        app.state.shared.ws.close()


def test_an_owner_logs_in_sees_their_moments_and_logs_out(url: str) -> None:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} for the browser tests"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: browser tests must run there)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{url}/owners")
            expect(page).to_have_url(f"{url}/login?next=/owners")
            page.fill("input[name=user_id]", "olga")
            page.fill("input[name=password]", "not my password")
            page.click("button[type=submit]")
            expect(page.get_by_role("alert")).to_contain_text("Wrong user id or password")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{url}/owners")
            expect(page.locator("header .who")).to_contain_text("Olga · owner")
            page.goto(f"{url}/")
            shown = set(page.locator("a[data-moment]").evaluate_all(
                "els => els.map(e => e.dataset.moment)"
            ))  # fmt: skip
            assert shown and shown <= {"dressing-room", "styling-advice"}
            assert page.locator("nav a[href='/card']").count() == 0  # not an agent
            response = page.goto(f"{url}/card/c1")
            assert response is not None and response.status == 403
            expect(page.locator("h1")).to_have_text("Not allowed")
            page.goto(f"{url}/")
            page.click("header .who button")
            expect(page).to_have_url(f"{url}/login")
            page.goto(f"{url}/")
            expect(page).to_have_url(f"{url}/login?next=/")
        finally:
            browser.close()
