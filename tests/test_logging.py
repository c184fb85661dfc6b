"""Log lines: plain by default or one JSON object each, and never a secret."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboarding.chatapp import ChatAppClient, ChatAppConfig, ErrorKind
from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from onboarding.services.log_fields import StepLog
from portal.logs import JsonFormatter, RedactSecrets
from tests import documents

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUBMISSION_ID = "0b6f3c1e-52a4-4d7e-9a61-3f0c2d8e7a15"
SETTINGS_SECRET = "CANARY-SETTINGS-SECRET-5d1e88"


def log_in_fresh_process(code: str, **env) -> subprocess.CompletedProcess:
    """Configure logging from settings in a new interpreter, then run code."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOG_", "DJANGO_"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, logging; django.setup(); "
            "log = logging.getLogger('onboarding.services.processing'); " + code,
        ],
        cwd=PROJECT_ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


ACCEPTED = (
    f"log.info('Accepted submission=%s attempt=%s', '{SUBMISSION_ID}', 2, "
    f"extra={{'submission_id': '{SUBMISSION_ID}', 'event': 'accepted'}})"
)


class Kept(logging.Handler):
    """Keeps each record as the handler's filters left it."""

    def __init__(self):
        super().__init__()
        self.records = []
        self.stream = io.StringIO()
        self.json = JsonFormatter()

    def emit(self, record):
        self.records.append(record)
        self.stream.write(self.json.format(record) + "\n")


@pytest.fixture
def logged():
    """A logger whose handler has the redaction filter, and what it kept."""
    handler = Kept()
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("tests.logging")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


# JSON and plain lines


def test_a_json_line_parses_and_carries_the_submission_id(logged):
    logger, handler = logged

    StepLog(logger).info("accepted", SUBMISSION_ID, "Accepted", attempt=2)

    entry = json.loads(handler.stream.getvalue())
    assert entry["message"] == f"Accepted submission={SUBMISSION_ID} attempt=2"
    assert entry["submission_id"] == SUBMISSION_ID
    assert (entry["event"], entry["attempt"]) == ("accepted", 2)
    assert (entry["level"], entry["logger"]) == ("INFO", "tests.logging")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_an_exception_stays_on_its_one_json_line(logged):
    logger, handler = logged

    try:
        raise ConnectionError("the sandbox went away")
    except ConnectionError:
        StepLog(logger).exception("portal_error", SUBMISSION_ID, "Portal error")

    [line] = handler.stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["submission_id"] == SUBMISSION_ID
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ConnectionError: the sandbox went away")


# Lines about a submission


def test_a_step_line_states_each_field_once_for_the_text_and_the_json(logged):
    logger, handler = logged
    until = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)

    StepLog(logger).warning(
        "retry_scheduled",
        uuid.UUID(SUBMISSION_ID),
        "Retry scheduled",
        attempt=1,
        kind=ErrorKind.RETRYABLE,
        until=until,
    )

    [record] = handler.records
    assert record.getMessage() == (
        f"Retry scheduled submission={SUBMISSION_ID} attempt=1 kind=retryable "
        "until=2026-12-03T09:30:00+00:00"
    )
    entry = json.loads(handler.stream.getvalue())
    assert entry["level"] == "WARNING"
    assert entry["submission_id"] == SUBMISSION_ID
    assert entry["event"] == "retry_scheduled"
    assert (entry["attempt"], entry["kind"]) == (1, "retryable")
    assert entry["until"] == "2026-12-03T09:30:00+00:00"


def test_a_step_line_names_the_function_that_wrote_it(logged):
    logger, handler = logged

    StepLog(logger).info("claimed", SUBMISSION_ID, "Claimed")

    [record] = handler.records
    assert record.funcName == "test_a_step_line_names_the_function_that_wrote_it"
    assert record.pathname == __file__


def test_a_percent_sign_in_a_step_text_is_written_as_it_is(logged):
    logger, handler = logged

    StepLog(logger).info("held", SUBMISSION_ID, "Held at 100% of the limit", wait=2)

    [record] = handler.records
    assert record.getMessage() == (
        f"Held at 100% of the limit submission={SUBMISSION_ID} wait=2"
    )


class Counted:
    """A value that counts how often it is turned into text."""

    def __init__(self):
        self.times = 0

    def __str__(self):
        self.times += 1
        return "counted"


def test_a_step_line_below_the_level_is_never_put_together(logged):
    logger, handler = logged
    logger.setLevel(logging.WARNING)
    value = Counted()

    StepLog(logger).info("claimed", SUBMISSION_ID, "Claimed", detail=value)

    assert handler.records == []
    assert value.times == 0
    # The control: a line that is written does turn the value into text.
    StepLog(logger).warning("lease_lost", SUBMISSION_ID, "Stopped", detail=value)
    assert "detail=counted" in handler.records[0].getMessage()


def test_a_secret_in_a_step_field_is_redacted_in_the_text_and_the_json(logged):
    logger, handler = logged
    answer = PATTERNS["SecurityToken="].format(UNKNOWN_VALUE)

    StepLog(logger).warning("failed", SUBMISSION_ID, "Failed", reason=answer)

    [record] = handler.records
    assert UNKNOWN_VALUE not in record.getMessage()
    assert UNKNOWN_VALUE not in record.reason
    assert UNKNOWN_VALUE not in handler.stream.getvalue()
    assert "reason=SecurityToken=[redacted]" in record.getMessage()


def test_log_format_json_switches_the_console_to_json_lines():
    result = log_in_fresh_process(ACCEPTED, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == f"Accepted submission={SUBMISSION_ID} attempt=2"
    assert entry["submission_id"] == SUBMISSION_ID
    assert entry["logger"] == "onboarding.services.processing"


def test_the_console_writes_plain_lines_by_default():
    result = log_in_fresh_process(ACCEPTED)

    assert result.returncode == 0, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO onboarding\.services\.processing "
        rf"Accepted submission={SUBMISSION_ID} attempt=2",
        line,
    )


def test_log_level_leaves_out_the_lines_below_it():
    code = ACCEPTED + "; log.warning('Retry scheduled submission=%s', 'x')"

    result = log_in_fresh_process(code, LOG_LEVEL="warning")

    assert result.returncode == 0, result.stderr
    assert "Retry scheduled submission=x" in result.stderr
    assert "Accepted" not in result.stderr


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be plain or json, not 'xml'."),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of DEBUG, INFO, WARNING,"),
    ],
)
def test_a_bad_logging_setting_stops_start_up_naming_the_variable(name, value, message):
    result = log_in_fresh_process(ACCEPTED, **{name: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_the_console_handler_carries_the_redaction_filter(settings):
    assert settings.LOGGING["filters"]["redact_secrets"] == {
        "()": "portal.logs.RedactSecrets"
    }
    assert "redact_secrets" in settings.LOGGING["handlers"]["console"]["filters"]
    [console] = [h for h in logging.getLogger().handlers if h.name == "console"]
    assert any(isinstance(f, RedactSecrets) for f in console.filters)


# Redaction


@pytest.fixture
def issued(sandbox, settings):
    """The AccessKey secret of settings and real STS values from the sandbox."""
    settings.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SETTINGS_SECRET
    client = ChatAppClient(
        ChatAppConfig(
            access_key_id=DEMO_ACCESS_KEY_ID,
            access_key_secret=DEMO_ACCESS_KEY_SECRET,
            endpoint=sandbox.url,
        )
    )
    authorization = client.get_upload_authorization("293483938849493").authorization
    return {
        "settings secret": SETTINGS_SECRET,
        "STS secret": authorization.access_key_secret,
        "STS token": authorization.security_token,
    }


# Each text names a secret by a pattern, so the value is unknown beforehand.
PATTERNS = {
    "SecurityToken=": "SecurityToken={}&Action=PutObject",
    "x-oss-security-token:": "x-oss-security-token: {}",
    "AccessKeySecret JSON": '{{"AccessKeySecret":"{}","Expire":3600}}',
    "Signature=": "Expires=1735689600&Signature={}",
    "Authorization: OSS": "Authorization: OSS STS.NUmq8Xk2:{}",
    "header dict": "headers: {{'authorization': 'OSS STS.NUmq8Xk2:{}'}}",
}
UNKNOWN_VALUE = "Vq7dZt93Ke1bHs0PwxN4"


def log_at(logger, place: str, text: str) -> None:
    if place == "message":
        logger.warning(text)
    elif place == "args":
        logger.warning("The upload answered: %s", text)
    elif place == "extras":
        logger.warning("The upload failed", extra={"detail": text})
    else:
        try:
            raise RuntimeError(text)
        except RuntimeError:
            logger.exception("The upload failed")


PLACES = ["message", "args", "extras", "exception"]


def assert_gone(handler: Kept, value: str) -> None:
    [record] = handler.records
    kept = [
        str(record.msg),
        repr(record.args),
        repr(record.__dict__.get("detail")),
        str(record.exc_text),
        handler.stream.getvalue(),
    ]
    for text in kept:
        assert value not in text
    assert "[redacted]" in handler.stream.getvalue()


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_secret_named_by_a_pattern_is_redacted(logged, place, pattern):
    logger, handler = logged

    log_at(logger, place, PATTERNS[pattern].format(UNKNOWN_VALUE))

    assert_gone(handler, UNKNOWN_VALUE)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("secret", ["settings secret", "STS secret", "STS token"])
def test_a_known_secret_is_redacted_even_in_free_text(logged, issued, place, secret):
    logger, handler = logged

    log_at(logger, place, f"the value was {issued[secret]}, then it stopped")

    assert_gone(handler, issued[secret])


def test_the_search_for_secrets_finds_them_without_the_filter(issued):
    # The control for the tests above: with no filter the values do show.
    handler = Kept()
    logger = logging.getLogger("tests.logging.unfiltered")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        log_at(logger, "args", PATTERNS["SecurityToken="].format(UNKNOWN_VALUE))
        log_at(logger, "message", f"the value was {issued['STS token']}")
    finally:
        logger.removeHandler(handler)

    assert UNKNOWN_VALUE in handler.stream.getvalue()
    assert issued["STS token"] in handler.stream.getvalue()


def test_a_placeholder_after_a_secret_name_is_filled_then_redacted(logged):
    logger, handler = logged

    logger.warning("Sent with SecurityToken=%s to %s", UNKNOWN_VALUE, "OSS")

    [record] = handler.records
    assert record.getMessage() == "Sent with SecurityToken=[redacted] to OSS"


def test_an_extra_named_like_a_secret_is_dropped_whole(logged):
    logger, handler = logged

    logger.info("Fetched", extra={"security_token": UNKNOWN_VALUE, "attempt": 1})

    entry = json.loads(handler.stream.getvalue())
    assert entry["security_token"] == "[redacted]"
    assert entry["attempt"] == 1


def test_the_pipelines_own_lines_pass_unchanged(logged):
    logger, handler = logged
    lines = [
        ("Upload authorization fetched submission=%s expires_at=%s", "2026-12-03"),
        ("Retry scheduled submission=%s code=%s", "InvalidSecurityToken"),
        ("Failed submission=%s code=%s", "SignatureDoesNotMatch"),
    ]

    for template, value in lines:
        logger.info(template, SUBMISSION_ID, value)

    assert [record.getMessage() for record in handler.records] == [
        template % (SUBMISSION_ID, value) for template, value in lines
    ]


def test_oss2_debug_output_reaches_the_console_without_sts_values(issued, sandbox):
    # Someone turns oss2's debug output on; its request headers carry the
    # STS token and the signature, and only the console's filter stands between.
    [console] = [h for h in logging.getLogger().handlers if h.name == "console"]
    oss_logger = logging.getLogger("oss2.http")
    saved = (oss_logger.level, oss_logger.filters[:])
    stream = io.StringIO()
    original_stream = console.setStream(stream)
    oss_logger.filters.clear()
    oss_logger.setLevel(logging.DEBUG)
    try:
        client = ChatAppClient(
            ChatAppConfig(
                access_key_id=DEMO_ACCESS_KEY_ID,
                access_key_secret=DEMO_ACCESS_KEY_SECRET,
                endpoint=sandbox.url,
            )
        )
        authorization = client.get_upload_authorization("1234567").authorization
        client.upload_agreement(
            authorization,
            file=io.BytesIO(documents.minimal_pdf()),
            file_name="agreement.pdf",
        )
    finally:
        console.setStream(original_stream)
        oss_logger.setLevel(saved[0])
        oss_logger.filters[:] = saved[1]

    output = stream.getvalue()
    assert "Send request, method: PUT" in output
    assert "'x-oss-security-token': '[redacted]'" in output
    assert "'authorization': '[redacted]'" in output
    assert authorization.security_token not in output
    assert "OSS STS." not in output
