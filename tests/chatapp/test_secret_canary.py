"""With known secret values, run every path and look for them everywhere."""

import dataclasses
import io
import json
import logging
import socket
from dataclasses import replace

import pytest

from onboarding.chatapp import ChatAppClient, ChatAppConfig, ChatAppError
from onboarding.sandbox import Sandbox
from tests import documents
from tests.chatapp.conftest import terms

CANARY_KEY_ID = "LTAI5tCanaryKeyId"
CANARY_SECRET = "CANARY-ACCESS-KEY-SECRET-7f3e9a"
WRONG_SECRET = "CANARY-WRONG-SECRET-1b2c3d"


def everything_in(error: BaseException) -> list[str]:
    texts = []
    while error is not None:
        texts += [str(error), repr(error), *map(str, error.args)]
        error = error.__cause__ or error.__context__
    return texts


def shown_frames(error: BaseException | None) -> list[str]:
    """The local variables a debug page or an error reporter shows.

    Like Django's debug page, follow the errors an error was raised from,
    but not the one it replaced with `from None`.
    """
    texts = []
    while error is not None:
        frame = error.__traceback__
        while frame is not None:
            texts += [repr(value) for value in frame.tb_frame.f_locals.values()]
            frame = frame.tb_next
        error = error.__cause__ or (
            None if error.__suppress_context__ else error.__context__
        )
    return texts


def test_no_secret_reaches_logs_errors_or_call_records(
    sandbox_config, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(
        replace(
            sandbox_config,
            access_key_id=CANARY_KEY_ID,
            access_key_secret=CANARY_SECRET,
            slow_seconds=2,
            rate_limit=100,
        )
    ).start()
    config = ChatAppConfig(
        access_key_id=CANARY_KEY_ID,
        access_key_secret=CANARY_SECRET,
        endpoint=sandbox.url,
        read_timeout=0.5,
    )
    client = ChatAppClient(config)
    wrong = ChatAppClient(replace(config, access_key_secret=WRONG_SECRET))
    sandbox_authorizations = []
    for spied in (client, wrong):
        send = spied.session.send

        def spy(request, send=send, **kwargs):
            sandbox_authorizations.append(request.headers["Authorization"])
            return send(request, **kwargs)

        spied.session.send = spy
    texts, frames, records = [], [], []

    def attempt(action, *args, **kwargs):
        try:
            result = action(*args, **kwargs)
        except ChatAppError as error:
            texts.extend(everything_in(error))
            frames.extend(shown_frames(error))
            records.append(error.call)
            return None
        records.append(result.call)
        texts.append(repr(result))
        return result

    try:
        authorized = attempt(client.get_upload_authorization, "293483938849493")
        auth = authorized.authorization
        attempt(
            client.upload_agreement,
            auth,
            file=io.BytesIO(documents.minimal_pdf()),
            file_name="agreement-3f2a9c1b.pdf",
        )
        attempt(client.submit_customer_terms, terms())
        for kind in ("ram", "unsub", "owner", "limit", "500", "503", "http200"):
            attempt(client.submit_customer_terms, terms(f"fail-{kind}-1"))
        attempt(client.submit_customer_terms, terms("fail-slow-1"))
        attempt(client.submit_customer_terms, terms("fail-drop-1"))
        attempt(wrong.get_upload_authorization, "1")
        attempt(wrong.submit_customer_terms, terms())
        expired = attempt(client.get_upload_authorization, "flaky-expiredtoken-9")
        attempt(
            client.upload_agreement,
            expired.authorization,
            file=io.BytesIO(b"%PDF-"),
            file_name="a.pdf",
        )
        attempt(
            client.upload_agreement,
            replace(auth, access_key_secret=WRONG_SECRET),
            file=io.BytesIO(b"%PDF-"),
            file_name="a.pdf",
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        attempt(
            client.upload_agreement,
            replace(auth, endpoint=f"http://127.0.0.1:{closed}"),
            file=io.BytesIO(b"%PDF-"),
            file_name="a.pdf",
        )
    finally:
        sandbox.stop()

    issued = [
        value
        for credential in sandbox.credentials._credentials.values()
        for value in (credential.access_key_secret, credential.security_token)
    ]
    signatures = [
        line.split("Signature=")[1]
        for line in sandbox_authorizations
        if "Signature=" in line
    ]
    secrets = [CANARY_SECRET, WRONG_SECRET, *issued, *signatures]
    assert len(records) == 18
    assert len(issued) == 4  # two authorizations, a secret and a token each
    assert len(signatures) == 14
    haystacks = {
        "logs": "\n".join(record.getMessage() for record in caplog.records),
        "errors": "\n".join(texts),
        "records": json.dumps(
            [dataclasses.asdict(record) for record in records], default=str
        ),
        "record reprs": "\n".join(map(repr, records)),
    }
    for name, haystack in haystacks.items():
        for secret in secrets:
            assert secret not in haystack, f"a secret reached the {name}"
    # A request's signature, good for that request only, may stay in a local;
    # the key pair's secret and the STS secrets and tokens may not.
    shown = "\n".join(frames)
    assert "<oss2.api.Bucket object" in shown  # the frames were read
    for secret in [CANARY_SECRET, WRONG_SECRET, *issued]:
        assert secret not in shown, "a secret is in a local variable"


@pytest.mark.parametrize("name", ["oss2.http", "oss2.auth", "urllib3.connectionpool"])
def test_chatty_libraries_stay_quiet_even_when_asked_to_debug(name, caplog):
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("security_token: sts-token-value")
        logger.info("details with the string to sign")
    finally:
        logger.setLevel(logging.NOTSET)

    assert caplog.records == []
