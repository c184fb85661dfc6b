"""The Content-Security-Policy blocks nothing the portal's own pages need.

The browser fixture fails any browser test whose pages had something blocked;
these tests visit the pages the other browser tests do not.
"""

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from onboarding.models import FixableBy, Submission
from tests.browser.conftest import content_security_violations
from tests.conftest import STAFF_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, url: str, username: str, password: str = STAFF_PASSWORD):
    browser.get(url)
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    button = browser.find_element(By.CSS_SELECTOR, "form [type=submit]")
    button.click()
    # The answer replaces the page: wait for it before going on.
    WebDriverWait(browser, 10).until(lambda driver: is_gone(button))


def is_gone(element) -> bool:
    # Chromium reports an element of a replaced page as stale, or at times as
    # not belonging to the document; either way it is gone.
    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


def visit(browser, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 10).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
    assert content_security_violations(browser) == [], url


def test_the_browser_reports_what_the_policy_blocks(browser, live_server):
    browser.get(live_server.url + "/accounts/login/")

    browser.execute_script(
        "const script = document.createElement('script');"
        "script.textContent = 'window.injected = true';"
        "document.body.append(script);"
    )

    assert browser.execute_script("return window.injected === undefined")
    [report] = content_security_violations(browser)
    assert "script-src 'self'" in report


@pytest.fixture
def fixable(make_submission):
    return make_submission(
        company_name="Needs Fixing PT",
        status=Submission.Status.FAILED,
        fixable_by=FixableBy.SUBMITTER,
        failure_reason="The space ID is not yours.",
        last_error_code="Unknown.ResourceOwnerId",
    )


def test_the_portals_pages_run_under_the_policy(browser, live_server, staff, fixable):
    sign_in(browser, live_server.url + "/accounts/login/", "amira")
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("submissions"))

    for path in (
        "/submissions/",
        "/submissions/new/",
        f"/submissions/{fixable.pk}/",
        f"/submissions/{fixable.pk}/fix/",
        "/accounts/password_change/",
    ):
        visit(browser, live_server.url + path)

    # The menu under the name opens with Bootstrap's script.
    visit(browser, live_server.url + "/submissions/")
    browser.find_element(By.CSS_SELECTOR, ".dropdown-toggle").click()
    sign_out = browser.find_element(By.CSS_SELECTOR, ".dropdown-menu button")
    WebDriverWait(browser, 5).until(expected_conditions.visibility_of(sign_out))
    sign_out.click()
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("Sign in"))
    assert content_security_violations(browser) == []


def test_the_admin_runs_under_the_policy(
    browser, live_server, administrator, staff, fixable, make_submission
):
    make_submission(company_name="Accepted PT", status=Submission.Status.ACCEPTED)
    sign_in(browser, live_server.url + "/admin/login/", "olga")
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("Site admin"))

    for path in (
        "/admin/",
        "/admin/onboarding/submission/",
        f"/admin/onboarding/submission/{fixable.pk}/change/",
        f"/admin/onboarding/submission/{fixable.pk}/reprocess/",
        f"/admin/auth/user/{staff.pk}/change/",
        "/admin/auth/group/add/",
        "/admin/axes/accessattempt/",
    ):
        visit(browser, live_server.url + path)

    assert browser.find_elements(By.CSS_SELECTOR, "svg.daily-outcomes rect") == []
    visit(browser, live_server.url + "/admin/onboarding/submission/")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.daily-outcomes rect")


def test_a_locked_out_user_reads_why_under_the_policy(browser, live_server, staff):
    for _ in range(5):
        sign_in(browser, live_server.url + "/accounts/login/", "amira", "wrong")

    notice = browser.find_element(By.ID, "sign-in-locked")

    assert "paused for 15 minutes" in notice.text
    assert content_security_violations(browser) == []
