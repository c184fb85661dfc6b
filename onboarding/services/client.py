"""The ChatApp client and the upload authorizations it hands out."""

import functools
import threading

from django.conf import settings

from onboarding.chatapp import ChatAppClient, ChatAppConfig, UploadAuthorization
from portal import __version__


@functools.cache
def chatapp_client() -> ChatAppClient:
    """The process's ChatApp client, configured from settings.

    One per process, so every call reuses the same pooled connections.
    """
    return ChatAppClient(
        ChatAppConfig(
            access_key_id=settings.ALIBABA_CLOUD_ACCESS_KEY_ID,
            access_key_secret=settings.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
            endpoint=settings.CHATAPP_ENDPOINT,
            connect_timeout=settings.CHATAPP_CONNECT_TIMEOUT,
            read_timeout=settings.CHATAPP_READ_TIMEOUT,
            upload_timeout=settings.CHATAPP_UPLOAD_TIMEOUT,
            user_agent=f"isv-terms/{__version__}",
        )
    )


# Upload authorizations by space ID, kept in this process's memory only: they
# carry STS secrets, which must never reach the database or a shared cache.
_authorizations: dict[str, UploadAuthorization] = {}
_authorizations_lock = threading.Lock()

# An authorization this close to expiry is not reused: an upload may take a
# while, and a token that expires mid-upload fails it.
REFRESH_MARGIN_SECONDS = 300


def cached_authorization(cust_space_id: str) -> UploadAuthorization | None:
    with _authorizations_lock:
        authorization = _authorizations.get(cust_space_id)
    if authorization is None or authorization.expires_within(REFRESH_MARGIN_SECONDS):
        return None
    return authorization


def remember_authorization(
    cust_space_id: str, authorization: UploadAuthorization
) -> None:
    with _authorizations_lock:
        _authorizations[cust_space_id] = authorization


def forget_authorization(cust_space_id: str) -> None:
    with _authorizations_lock:
        _authorizations.pop(cust_space_id, None)
