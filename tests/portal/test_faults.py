"""Fault injection: busy pages, maintenance, latency behind the overlay, and determinism."""

from __future__ import annotations

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.portal.conftest import Portal


def statuses(portal: Portal, n: int = 30) -> list[int]:
    with httpx.Client(base_url=portal.url) as client:
        return [client.get("/CP/").status_code for _ in range(n)]


def test_the_same_seed_reproduces_the_same_faults(portal: Portal) -> None:
    portal.faults(seed=7, error_rate=0.4, error_statuses=[500, 503])
    first = statuses(portal)
    portal.faults(seed=7, error_rate=0.4, error_statuses=[500, 503])
    assert statuses(portal) == first
    assert {500, 503, 200} == set(first)
    portal.faults(seed=8, error_rate=0.4, error_statuses=[500, 503])
    assert statuses(portal) != first


def test_an_error_shows_the_server_busy_page_with_its_status(portal: Portal) -> None:
    portal.faults(seed=1, error_rate=1.0, error_statuses=[502])
    response = httpx.get(portal.url + "/CP/")
    assert response.status_code == 502
    assert "The server is busy" in response.text and "HTTP 502" in response.text


def test_maintenance_shows_the_maintenance_page(portal: Portal) -> None:
    portal.faults(maintenance=True)
    response = httpx.get(portal.url + "/CP/index.jsp")
    assert response.status_code == 503
    assert "under scheduled maintenance" in response.text


def test_faults_never_apply_to_the_test_api_nor_to_static_files(portal: Portal) -> None:
    portal.faults(seed=1, error_rate=1.0, maintenance=True, latency_ms=0)
    assert httpx.get(portal.url + "/__mock__/outbox").status_code == 200
    assert httpx.get(portal.url + "/CP/static/portal.js").status_code == 200
    assert httpx.get(portal.url + "/CP/static/embridge.js").status_code == 200


def test_a_busy_server_during_a_fragment_load_shows_the_busy_page_in_the_page(
    page: Page, portal: Portal
) -> None:
    portal.login(page)
    portal.faults(seed=3, error_rate=1.0, error_statuses=[503])
    page.get_by_role("button", name="Link IEC").click()
    expect(page.locator("#mainSectionWrap #faultPage")).to_contain_text("The server is busy")
    expect(page.locator("#faultPage")).to_have_attribute("data-status", "503")


def test_latency_keeps_the_blocking_overlay_up_while_a_fragment_loads(
    page: Page, portal: Portal
) -> None:
    portal.login(page)
    portal.faults(seed=1, latency_ms=1500)
    page.get_by_role("button", name="Link IEC").click()
    expect(page.locator("#progressbar")).to_be_visible()
    try:
        page.locator("#fontIncrease").click(timeout=300)
        raise AssertionError("a click went through the overlay")
    except PlaywrightError as exc:
        assert "intercepts pointer events" in str(exc) or "Timeout" in str(exc)
    expect(page.get_by_label("IEC Number")).to_be_visible(timeout=10_000)
    expect(page.locator("#progressbar")).to_be_hidden()
