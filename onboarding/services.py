"""Use cases that change submissions. Views, admin and commands call these."""

import functools
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from onboarding.agreements import inspect_agreement
from onboarding.chatapp import ChatAppClient, ChatAppConfig
from onboarding.models import Submission
from onboarding.selectors import submission_for_form_token
from portal import __version__


def submission_create(
    *,
    submitted_by: AbstractBaseUser,
    form_token: uuid.UUID,
    cust_space_id: str,
    company_name: str,
    office_address: str,
    contact_email: str,
    country: str,
    business_description: str,
    agreement: UploadedFile,
) -> tuple[Submission, bool]:
    """Store a new queued submission with its agreement.

    Return the submission and whether it was created: a second call with the
    same form token returns the first submission and stores nothing. Raise
    ValidationError when the agreement is not an acceptable PDF.
    """
    existing = submission_for_form_token(submitted_by, form_token)
    if existing is not None:
        return existing, False

    agreement_file = inspect_agreement(
        agreement, max_bytes=settings.AGREEMENT_MAX_BYTES
    )

    submission = Submission(
        submitted_by=submitted_by,
        form_token=form_token,
        cust_space_id=cust_space_id,
        company_name=company_name,
        office_address=office_address,
        contact_email=contact_email,
        country=country,
        business_description=business_description,
        agreement_name=agreement_file.name,
        agreement_size=agreement_file.size,
        agreement_sha256=agreement_file.sha256,
        status=Submission.Status.QUEUED,
    )

    # The file is written first so the row never points at nothing; if the row
    # cannot be stored, the file goes too.
    submission.agreement.save(agreement_file.name, agreement, save=False)
    try:
        with transaction.atomic():
            submission.save(force_insert=True)
    except IntegrityError:
        submission.agreement.delete(save=False)
        # A concurrent request with the same form token won the race.
        existing = submission_for_form_token(submitted_by, form_token)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        submission.agreement.delete(save=False)
        raise
    return submission, True


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
