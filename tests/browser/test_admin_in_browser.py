"""Support works through the review queue in a real browser."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from onboarding.models import ApiCall, Submission
from tests.conftest import STAFF_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = Submission.Status


def sign_in_to_admin(browser, live_server, username: str):
    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(STAFF_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # Signed in only once the admin's index has loaded; a page asked for
    # sooner would find the session without its sign-in.
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("Site admin"))


def test_support_filters_reprocesses_and_reads_a_history(
    browser, live_server, support, make_submission
):
    failed = make_submission(
        company_name="Broken Ltd",
        status=Status.FAILED,
        last_error_code="InternalError",
        fixable_by="support",
    )
    make_submission(company_name="Done Ltd", status=Status.ACCEPTED)
    ApiCall.objects.create(
        submission=failed,
        attempt=1,
        action="SubmitIsvCustomerTerms",
        http_status=500,
        code="InternalError",
        request_id="REQ-BROWSER-1",
        outcome="retryable",
    )
    sign_in_to_admin(browser, live_server, "sam")

    browser.get(live_server.url + "/admin/onboarding/submission/")
    assert browser.find_element(By.ID, "review-summary")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Failed (1)").click()
    # The unfiltered list has rows too: read them once the filtered one is in.
    WebDriverWait(browser, 10).until(
        expected_conditions.url_contains("status__exact=failed")
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    assert "Broken Ltd" in rows[0].text

    rows[0].find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(
        "reprocess_selected"
    )
    browser.find_element(By.NAME, "index").click()
    confirmation = browser.find_element(By.ID, "reprocess-confirmation").text
    assert "1 failed submission will be queued again" in confirmation
    assert "InternalError" in confirmation
    browser.find_element(By.NAME, "reason").send_keys("Alibaba's outage is over")
    browser.find_element(
        By.CSS_SELECTOR, "#reprocess-confirmation input[type=submit]"
    ).click()

    assert (
        "Queued 1 submissions again"
        in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    )
    failed.refresh_from_db()
    assert failed.status == Status.QUEUED

    browser.get(live_server.url + f"/admin/onboarding/submission/{failed.pk}/change/")
    page = browser.page_source
    assert "REQ-BROWSER-1" in page
    assert "Alibaba&#x27;s outage is over" in page or "Alibaba's outage is over" in page
