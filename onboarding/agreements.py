"""Checks on an uploaded agreement before anything is stored."""

import hashlib
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from onboarding.models import AGREEMENT_NAME_MAX_LENGTH

PDF_SIGNATURE = b"%PDF-"


@dataclass(frozen=True)
class AgreementFile:
    """What the portal records about an accepted upload."""

    name: str
    size: int
    sha256: str


def clean_file_name(name: str) -> str:
    """Return the name as safe display data: no path, no control characters."""
    # Browsers may send a full path, and a name can hide a right-to-left
    # override or other invisible formatting characters (Unicode category Cf).
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    visible = "".join(
        char for char in base if unicodedata.category(char) not in ("Cc", "Cf")
    )
    visible = visible.strip()
    if len(visible) <= AGREEMENT_NAME_MAX_LENGTH:
        return visible

    stem, dot, extension = visible.rpartition(".")
    if not dot or len(extension) > 10:
        return visible[:AGREEMENT_NAME_MAX_LENGTH]
    keep = AGREEMENT_NAME_MAX_LENGTH - len(extension) - 1
    return f"{stem[:keep]}.{extension}"


def inspect_agreement(upload: UploadedFile, *, max_bytes: int) -> AgreementFile:
    """Check an uploaded agreement and return its name, size and SHA-256."""
    name = clean_file_name(upload.name or "")
    if not name.lower().endswith(".pdf"):
        raise ValidationError(
            _("The agreement must be a PDF file whose name ends in .pdf."),
            code="not_pdf_name",
        )
    if upload.size == 0:
        raise ValidationError(_("The chosen file is empty."), code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s; the agreement may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)},
            code="too_large",
        )

    digest = hashlib.sha256()
    head = b""
    size = 0
    for chunk in upload.chunks():
        if len(head) < len(PDF_SIGNATURE):
            head += chunk[: len(PDF_SIGNATURE)]
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)

    if not head.startswith(PDF_SIGNATURE):
        raise ValidationError(
            _(
                "This file is not a PDF, although its name ends in .pdf. "
                "Export or scan the agreement as a PDF and choose that file."
            ),
            code="not_pdf_content",
        )
    return AgreementFile(name=name, size=size, sha256=digest.hexdigest())
