import pytest

from onboarding import services
from onboarding.sandbox import DEMO_ACCESS_KEY_ID
from portal import __version__


@pytest.fixture(autouse=True)
def fresh_client():
    services.chatapp_client.cache_clear()
    yield
    services.chatapp_client.cache_clear()


def test_the_client_is_configured_from_settings(settings, sandbox):
    settings.CHATAPP_ENDPOINT = sandbox.url
    settings.CHATAPP_READ_TIMEOUT = 4.5

    client = services.chatapp_client()
    client.get_upload_authorization("293483938849493")

    assert client.config.read_timeout == 4.5
    assert client.config.access_key_id == DEMO_ACCESS_KEY_ID
    assert sandbox.calls()[0].user_agent == f"isv-terms/{__version__}"


def test_one_client_serves_the_whole_process():
    assert services.chatapp_client() is services.chatapp_client()
