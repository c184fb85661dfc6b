"""A staff member signs in, submits a customer's terms and follows them."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from onboarding.models import Submission
from tests import documents
from tests.conftest import STAFF_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, live_server):
    browser.get(live_server.url + "/")
    browser.find_element(By.NAME, "username").send_keys("amira")
    browser.find_element(By.NAME, "password").send_keys(STAFF_PASSWORD)
    submit_form(browser)
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("submissions"))


def click(browser, element):
    # Bootstrap scrolls smoothly, so an element may still be moving when
    # Selenium clicks; bring it into view at once first.
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def submit_form(browser):
    click(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def fill(browser, name: str, value: str):
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def test_staff_submit_an_agreement_and_see_it_listed(
    browser, live_server, staff, tmp_path
):
    agreement = tmp_path / "Nusantara agreement.pdf"
    agreement.write_bytes(documents.minimal_pdf())

    sign_in(browser, live_server)
    browser.find_element(By.LINK_TEXT, "New submission").click()

    fill(browser, "cust_space_id", "293483938849493")
    fill(browser, "company_name", "Nusantara Kopi PT")
    fill(browser, "office_address", "Jl. Sudirman 1, Jakarta")
    fill(browser, "contact_email", "legal@nusantara-kopi.example")
    browser.find_element(By.CSS_SELECTOR, "input.country-search").send_keys("indon")
    assert Select(
        browser.find_element(By.NAME, "country")
    ).first_selected_option.text == ("Indonesia")
    fill(browser, "business_description", "Order updates on WhatsApp.")
    browser.find_element(By.NAME, "agreement").send_keys(str(agreement))
    submit_form(browser)

    WebDriverWait(browser, 10).until(
        expected_conditions.title_contains("Nusantara Kopi PT")
    )
    assert browser.find_element(By.ID, "submission-status").text == "Queued"
    assert "Nusantara agreement.pdf" in browser.page_source
    submission = Submission.objects.get()
    assert browser.current_url.endswith(submission.get_absolute_url())

    browser.find_element(By.LINK_TEXT, "Submissions").click()
    row = browser.find_element(By.CSS_SELECTOR, "tbody tr")
    assert "Nusantara Kopi PT" in row.text
    assert "Queued" in row.text


def fill_in_the_form(browser, live_server, agreement, *, email: str, country: str):
    browser.get(live_server.url + "/submissions/new/")
    fill(browser, "cust_space_id", "293483938849493")
    fill(browser, "company_name", "Nusantara Kopi PT")
    fill(browser, "office_address", "Jl. Sudirman 1, Jakarta")
    fill(browser, "contact_email", email)
    Select(browser.find_element(By.NAME, "country")).select_by_value(country)
    fill(browser, "business_description", "Order updates.")
    browser.find_element(By.NAME, "agreement").send_keys(str(agreement))
    submit_form(browser)


def test_a_rejected_form_keeps_what_was_typed(browser, live_server, staff, tmp_path):
    agreement = tmp_path / "agreement.pdf"
    agreement.write_bytes(documents.minimal_pdf())

    sign_in(browser, live_server)
    fill_in_the_form(
        browser, live_server, agreement, email="not-an-address", country="SG"
    )

    error = browser.find_element(By.ID, "error_1_id_contact_email")
    assert "valid email" in error.text
    assert browser.find_element(By.NAME, "company_name").get_attribute("value") == (
        "Nusantara Kopi PT"
    )
    assert Select(
        browser.find_element(By.NAME, "country")
    ).first_selected_option.text == ("Singapore")
    assert "choose it again" in browser.find_element(By.ID, "error_1_id_agreement").text
    assert not Submission.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_sent(
    browser, live_server, staff, tmp_path, settings
):
    settings.AGREEMENT_MAX_BYTES = 1024
    agreement = tmp_path / "agreement.pdf"
    agreement.write_bytes(documents.padded_pdf(1025))

    sign_in(browser, live_server)
    fill_in_the_form(
        browser, live_server, agreement, email="legal@example.com", country="SG"
    )

    field = browser.find_element(By.NAME, "agreement")
    assert "is-invalid" in field.get_attribute("class")
    feedback = browser.find_element(
        By.CSS_SELECTOR, "#id_agreement + .invalid-feedback"
    )
    assert "larger than 1.0 KB" in feedback.text
    assert browser.current_url.endswith("/submissions/new/")
    assert not Submission.objects.exists()

    # A smaller file clears the message and goes through.
    agreement.write_bytes(documents.minimal_pdf())
    field.send_keys(str(agreement))
    submit_form(browser)
    WebDriverWait(browser, 10).until(
        expected_conditions.title_contains("Nusantara Kopi PT")
    )
    assert Submission.objects.count() == 1


def test_the_submission_page_follows_processing_without_a_reload(
    browser, live_server, staff, tmp_path, settings, sandbox
):
    from onboarding.services import client as client_module
    from onboarding.services import submission_process

    settings.CHATAPP_ENDPOINT = sandbox.url
    client_module.chatapp_client.cache_clear()
    agreement = tmp_path / "agreement.pdf"
    agreement.write_bytes(documents.minimal_pdf())
    sign_in(browser, live_server)
    fill_in_the_form(
        browser,
        live_server,
        agreement,
        email="legal@nusantara-kopi.example",
        country="ID",
    )
    WebDriverWait(browser, 10).until(
        expected_conditions.text_to_be_present_in_element(
            (By.ID, "submission-status"), "Queued"
        )
    )
    # A reload would wipe this mark.
    browser.execute_script("window.pageMark = 'still the same page'")

    submission_process(submission_id=Submission.objects.get().pk)

    # No reload: the page asks for its live part every few seconds.
    WebDriverWait(browser, 15).until(
        expected_conditions.text_to_be_present_in_element(
            (By.ID, "submission-status"), "Accepted"
        )
    )
    assert browser.execute_script("return window.pageMark") == "still the same page"
    history = browser.find_element(By.ID, "history").text
    assert "SubmitIsvCustomerTerms" in history
    assert "Succeeded" in history
    client_module.chatapp_client.cache_clear()
