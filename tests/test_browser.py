"""The web app in a real headless Chromium (Debian's, driven by Playwright) against a live
uvicorn server: log in, drill from the margin figure to a job and its invoice line, act on an
exception and see it in the history, approve a plan version as a second person (its author
is refused), download the board pack. The figures are the hand-worked ones in web_project.py."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from support import copy_project
from tieout.config import load_project
from tieout.serve import create_app
from web_project import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("web-company"),  # tests copying web_company: one group, one build
]


@pytest.fixture(scope="module")
def server(web_company: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = copy_project(web_company, tmp_path_factory.mktemp("browser") / "project")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(load_project(root)), host="127.0.0.1", port=port, log_level="warning"
    )
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not live.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    live.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "no chromium: ./dev test installs it"
    with sync_playwright() as pw:
        found = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield found
        found.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, accept_downloads=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def log_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview, January 2026")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_drill_from_the_margin_figure_to_the_source_invoice_line(page: Page) -> None:
    log_in(page, "viewer")
    margin = page.locator("#card-margin")
    expect(margin).to_contain_text("GBP -300.00")  # 300.00 billed - 600.00 time at cost
    margin.click()
    expect(page.get_by_role("heading", name="Margin by job, 2026-01")).to_be_visible()
    bar = page.locator("#chart svg .mark-rect path").first
    expect(bar).to_be_visible()  # the chart drew, from the bundled Vega scripts
    bar.click()  # a bar is a link to its job
    expect(page.get_by_role("heading", name="Job 00000045")).to_be_visible()
    steps = page.locator("table.steps")
    expect(steps.get_by_role("row", name="Billed 300.00 -200.00")).to_be_visible()
    expect(steps.get_by_role("row", name="Time at cost 600.00")).to_be_visible()
    billing = page.locator("section", has=page.get_by_role("heading", name="Invoice and credit"))
    expect(billing).to_contain_text("line:wo_reference")
    billing.get_by_role("link", name="1 DEV Development").click()
    expect(page.get_by_role("heading", name="Invoice line")).to_be_visible()
    expect(page.locator("p.lead")).to_contain_text("invoices.csv, row 2")


def test_acknowledge_and_waive_then_see_it_in_the_history(page: Page) -> None:
    log_in(page, "leadership")
    page.goto("/exceptions?rule=unbilled_work")
    page.locator("table a").first.click()
    expect(page.locator("h1")).to_contain_text("open")
    page.get_by_label("reason").fill("asking the PM")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("h1")).to_contain_text("acknowledged")
    page.get_by_label("reason").fill("goodwill for the rollout delay")
    page.get_by_role("button", name="Waive").click()
    # 300.00 at risk is over the 100 limit: it waits for someone in finance
    expect(page.locator("h1")).to_contain_text("waiver_requested")
    case_url = page.url
    log_out(page)
    log_in(page, "finance")
    page.goto(case_url)
    page.get_by_role("button", name="Approve waiver").click()
    expect(page.locator("h1")).to_contain_text("waived")
    history = page.locator("table.audit")

    def entry(action: str) -> Locator:
        return history.get_by_role("row").filter(
            has=page.get_by_role("cell", name=action, exact=True)
        )

    expect(entry("exception.ack")).to_contain_text("leadership")
    expect(entry("exception.waive")).to_contain_text("status: acknowledged")
    expect(entry("exception.waive")).to_contain_text("status: waiver_requested")
    expect(entry("exception.waiver_approved")).to_contain_text("finance")
    expect(entry("exception.waiver_approved")).to_contain_text("status: waived")


def test_a_plan_version_is_approved_by_a_second_person(page: Page) -> None:
    log_in(page, "sales")  # imported the plan: may approve plans, but not this one
    page.get_by_role("link", name="Plan", exact=True).click()
    version = page.get_by_role("row").filter(has_text="Joint plan 2026")
    expect(version).to_contain_text("draft")
    version.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("sales")
    log_out(page)
    log_in(page, "leadership")
    page.get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("row").filter(has_text="Joint plan 2026").get_by_role(
        "button", name="Approve"
    ).click()
    approved = page.get_by_role("row").filter(has_text="Joint plan 2026")
    expect(approved).to_contain_text("approved")
    expect(approved).to_contain_text("leadership")


def test_download_the_board_pack(page: Page, tmp_path: Path) -> None:
    log_in(page, "viewer")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the board pack (PDF)").click()
    saved = tmp_path / "board.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "board-2026-01.pdf"
    assert saved.read_bytes().startswith(b"%PDF")


def test_pages_draw_within_their_content_security_policy(page: Page) -> None:
    """Issue 17's security headers: the pages, the chart (Vega, its tooltip) and the tick-all
    box work with inline script and style refused; the browser reports no violation."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    log_in(page, "admin")
    page.goto("/metrics/margin?by=job")
    bar = page.locator("#chart svg .mark-rect path").first
    expect(bar).to_be_visible()
    bar.hover()
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_css("position", "fixed")  # its style came from /static/charts.css
    page.goto("/exceptions")
    page.get_by_label("tick all").check()
    for box in page.locator("input[name=ids]").all():
        expect(box).to_be_checked()
    for path in ("/", "/accounts", "/plan", "/scorecards", "/close", "/data", "/definitions"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
    assert refused == []


def test_a_form_another_site_posts_to_the_api_is_refused(browser: Browser, server: str) -> None:
    """Issue 17: a page on another port of the same host auto-submits a form to the JSON API;
    the browser sends the (SameSite=Lax, same-site) session cookie along, and the API
    refuses it for want of the X-Tieout-CSRF header."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    log_in(page, "finance")
    (case,) = page.request.get("/api/v1/exceptions?rule=unbilled_work").json()["items"]
    target = f"{server}/api/v1/exceptions/{case['id']}/resolve"
    evil = (
        f'<form method="post" action="{target}" enctype="text/plain">'
        '<input name=\'{"reason": "x", "pad": "\' value=\'"}\'></form>'
        "<script>document.forms[0].submit()</script>"
    ).encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(evil)

        def log_message(self, *args: object) -> None:
            pass

    site = http.server.HTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        with page.expect_response(target) as posted:
            page.goto(f"http://127.0.0.1:{site.server_address[1]}/")
        assert posted.value.status == 403, posted.value.text()
        assert "X-Tieout-CSRF" in posted.value.text()
        after = page.request.get(f"/api/v1/exceptions/{case['id']}").json()
        assert after["case"]["status"] == case["status"]
    finally:
        site.shutdown()
        context.close()
