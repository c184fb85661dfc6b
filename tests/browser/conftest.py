import shutil
from pathlib import Path

import pytest

CHROMIUM_BINARIES = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> tuple[str, str] | None:
    driver = shutil.which("chromedriver")
    browser = next(filter(None, map(shutil.which, CHROMIUM_BINARIES)), None)
    if driver and browser:
        return browser, driver
    return None


@pytest.fixture(autouse=True)
def unhashed_static_files(settings):
    # The live server serves static files from the finders, which know the
    # source names only, not the hashed names of the production storage.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def browser(tmp_path: Path):
    """A headless Chromium driven through Selenium, closed after the test."""
    found = find_browser()
    if found is None:
        pytest.skip(
            "No Chromium and ChromeDriver found. Install them to run the browser "
            "tests, on Debian: apt-get install chromium chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser_path, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    # The console, where the browser reports what the page's policy blocked.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})

    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.implicitly_wait(5)
    try:
        yield driver
        blocked = content_security_violations(driver)
    finally:
        driver.quit()
    assert blocked == [], "the Content-Security-Policy blocked part of a page"


def content_security_violations(driver) -> list[str]:
    """What the browser refused to run or load since the last call."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
