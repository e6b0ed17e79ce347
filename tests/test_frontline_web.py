"""The agent's flow in a real browser, and the frontline API, against a live server.

An agent searches a customer, opens the card, types what the customer says, offers one of the
playbook's options, and the card's case timeline shows it; the owner's queue has the case.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web_server import open_store, serve_store

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MESSAGE = "I sent my return back two weeks ago and the refund still hasn't come"

expect.set_options(timeout=10_000)


@dataclass
class Site:
    url: str
    customer: dict[str, str]


@pytest.fixture(scope="module")
def site(analytics_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app over a copy of the session's demo store (the agent's offers write to it)."""
    path = tmp_path_factory.mktemp("frontline-web") / "demo.duckdb"
    shutil.copyfile(analytics_demo, path)
    with open_store(path) as ws:
        p = ws.profiles().order_by("customer_id").limit(3).to_pyarrow().to_pylist()[2]
    with serve_store(path) as url:
        yield Site(url, p)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} for the browser tests"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: browser tests must run there)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_agent_searches_opens_the_card_offers_an_option_and_sees_it(
    page: Page, site: Site, tmp_path: Path
) -> None:
    cid, email = site.customer["customer_id"], site.customer["email"]
    page.goto(site.url + "/")
    page.get_by_role("navigation").get_by_role("link", name="Customer card").click()
    page.get_by_role("searchbox", name="Customer id, e-mail or phone number").fill(email)
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(f"**/card/{cid}")
    expect(page.locator("#customer")).to_have_text(cid)
    expect(page.locator("#risk-band")).to_contain_text("risk:")
    expect(page.locator("#timeline tbody tr").first).to_be_visible()

    page.get_by_label("What does the customer say?").fill(MESSAGE)
    page.get_by_role("button", name="Suggest").click()
    expect(page.locator("#suggestions")).to_contain_text("Where is my refund")
    request = page.locator('.request.suggested[data-request="returns-and-exchanges/refund-late"]')
    expect(request.locator("ol.guide li")).to_have_count(4)
    expect(request.locator("ol.guide li").last).to_contain_text(
        "Will one of these options work for you?"
    )
    expect(page.locator("#cases")).not_to_contain_text("contacted")

    request.locator('button[data-option="email-confirmation"]').click()
    page.wait_for_url(f"**/card/{cid}?*")
    case = page.locator("#cases .case").first
    expect(case).to_contain_text("contacted")
    expect(case).to_contain_text("offered: an e-mail the moment the refund is paid")
    expect(case.locator(".case-events li")).to_have_count(2)  # opened, contacted
    expect(page.locator("#contacts")).to_contain_text("offered email-confirmation")
    page.screenshot(path=tmp_path / "card.png", full_page=True)

    page.goto(site.url + "/cases")
    page.get_by_role("link", name="contact-centre").click()
    row = page.locator("#queue tr[data-case]").filter(has=page.locator(f'a[href^="/card/{cid}"]'))
    expect(row).to_have_count(1)
    # the owner resolves it from the queue: it leaves the open queue and counts as closed
    row.get_by_label("status").select_option("resolved")
    row.get_by_label("note").fill("refund e-mail sent")
    row.get_by_role("button", name="Record").click()
    expect(row).to_have_count(0)
    page.goto(site.url + "/cases")
    owner = page.locator("#case-metrics tr").filter(has_text="contact-centre")
    expect(owner.locator("td").nth(4)).to_have_text("1")  # closed


def test_an_unknown_customer_gets_a_clear_message(page: Page, site: Site) -> None:
    response = page.goto(site.url + "/card?q=nobody%40example.org")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text(
        "no customer 'nobody@example.org': check the customer id, e-mail or phone number"
    )
    response = page.goto(site.url + "/card/c-none")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("no customer 'c-none'")


def test_the_api_serves_the_card_the_search_and_the_cases(site: Site) -> None:
    cid = site.customer["customer_id"]
    with httpx.Client(base_url=site.url, timeout=30) as client:
        card = client.get(f"/api/card/{cid}", params={"message": MESSAGE})
        assert card.status_code == 200
        body = card.json()
        assert body["customer_id"] == cid and body["profile"]["email"] == site.customer["email"]
        assert body["suggestions"][0]["request_id"] == "refund-late"
        found = client.get("/api/card", params={"q": site.customer["phone"]}).json()
        assert [f["customer_id"] for f in found] == [cid]
        missing = client.get("/api/card/c-none")
        assert missing.status_code == 404
        assert "check the customer id, e-mail or phone number" in missing.json()["message"]
        opened = client.post("/api/cases/open").json()
        assert opened["opened"] > 0 and "dressing-room" in opened["key_moments"]
        assert client.post("/api/cases/open").json()["opened"] == 0
        queue = client.get("/api/cases", params={"owner": "stylists"}).json()
        assert queue and all(r["open"] for r in queue)
        case_id = queue[0]["case_id"]
        done = client.post(
            f"/api/cases/{case_id}/events", json={"status": "resolved", "note": "rebooked"}
        )
        assert done.status_code == 200
        assert client.get(f"/api/cases/{case_id}").json()["status"] == "resolved"
        bad = client.post(f"/api/cases/{case_id}/events", json={"status": "solved"})
        assert bad.status_code == 422 and "unknown case status 'solved'" in bad.json()["message"]
        metrics = {m["owner_id"]: m for m in client.get("/api/cases/metrics").json()}
        assert metrics["stylists"]["closed"] == 1
