"""The portal's only way to talk to Alibaba Cloud: ChatApp's RPC API and OSS.

Plain Python on requests and oss2; nothing here knows of Django, so it is
configured with plain values and could be published on its own.
"""

from onboarding.chatapp.client import (
    AUTHORIZE,
    SUBMIT,
    UPLOAD,
    AuthorizationResult,
    ChatAppClient,
    ChatAppConfig,
    CustomerTerms,
    SubmitResult,
    UploadAuthorization,
    UploadResult,
)
from onboarding.chatapp.errors import ChatAppError, ErrorKind
from onboarding.chatapp.naming import agreement_object_name
from onboarding.chatapp.records import CallRecord

__all__ = [
    "AUTHORIZE",
    "SUBMIT",
    "UPLOAD",
    "AuthorizationResult",
    "CallRecord",
    "ChatAppClient",
    "ChatAppConfig",
    "ChatAppError",
    "CustomerTerms",
    "ErrorKind",
    "SubmitResult",
    "UploadAuthorization",
    "UploadResult",
    "agreement_object_name",
]
