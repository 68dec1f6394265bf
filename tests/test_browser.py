"""The pages people see, in a real browser (Debian's Chromium, headless, driven by selenium).

The browser resolves no host but this machine, as on a laptop without internet: the API docs
must render from the project's own files, under the CSP the server sends.
"""

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 30
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # No internet: every host but this machine fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def console_errors(browser: webdriver.Chrome) -> list[str]:
    """What the page logged as an error: a blocked script, a CSP violation, a failed fetch."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def wait_for(browser: webdriver.Chrome, css: str) -> list[Any]:
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, css)
    )
    return browser.find_elements(By.CSS_SELECTOR, css)


def same_origin_only(browser: webdriver.Chrome, origin: str) -> list[str]:
    """Every resource the page loaded that came from somewhere else."""
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    return [url for url in urls if not url.startswith(origin)]


def test_swagger_ui_renders_every_operation_offline(
    browser: webdriver.Chrome, live_server: Any
) -> None:
    browser.get(f"{live_server.url}/api/docs/")

    operations = wait_for(browser, ".swagger-ui .opblock")

    assert len(operations) > 50
    assert "/api/v1/auth/otp/request/" in browser.page_source
    assert same_origin_only(browser, live_server.url) == []
    assert console_errors(browser) == []


def test_redoc_renders_the_schema_offline(browser: webdriver.Chrome, live_server: Any) -> None:
    browser.get(f"{live_server.url}/api/redoc/")

    wait_for(browser, "[data-section-id^='operation/']")

    assert "/api/v1/auth/otp/request/" in browser.page_source
    # ReDoc always asks for Redocly's logo from their CDN; the page's CSP refuses it (the
    # browser still lists the refused request among its resources).
    assert same_origin_only(browser, live_server.url) in ([], [REDOCLY_LOGO])
    errors = console_errors(browser)
    assert errors, "the logo's refusal is logged"
    assert all(REDOCLY_LOGO in error and "Content Security Policy" in error for error in errors), (
        errors
    )


@pytest.mark.django_db(transaction=True)
def test_the_home_page_shows_what_is_on_sale(browser: webdriver.Chrome, live_server: Any) -> None:
    browser.get(f"{live_server.url}/")

    rows = wait_for(browser, "#categories li")

    assert [row.text.split("\n")[0] for row in rows] == ["Автомобиль", "Лошадь", "Недвижимость"]
    assert browser.title == "360 Marketplace"
    assert console_errors(browser) == []
