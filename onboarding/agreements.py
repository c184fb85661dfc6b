"""Checks on an uploaded agreement before anything is stored."""

import hashlib
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onboarding.models import AGREEMENT_NAME_MAX_LENGTH
from onboarding.pdf_inspection import Problem, header_problem, inspect_pdf

REFUSALS = {
    Problem.NOT_PDF: gettext_lazy(
        "This file is not a PDF, although its name ends in .pdf. "
        "Export or scan the agreement as a PDF and choose that file."
    ),
    Problem.DATA_BEFORE_HEADER: gettext_lazy(
        "This file has other data in front of the PDF, so programs may read it "
        "as something else. Export the agreement as a PDF again and choose "
        "that file."
    ),
    Problem.TRUNCATED: gettext_lazy(
        "The file is cut short: the end of the PDF is missing, as happens when "
        "a download or copy did not finish. Choose a complete copy of the "
        "agreement."
    ),
    Problem.TRAILING_DATA: gettext_lazy(
        "This PDF has other data after its end marker. Export the agreement as "
        "a PDF again and choose that file."
    ),
    Problem.FOREIGN_DATA: gettext_lazy(
        "This file mixes a PDF with data of another kind, such as an archive "
        "or a web page, so other programs may open it as that. Export the "
        "agreement as a PDF again and choose that file."
    ),
    Problem.UNREADABLE: gettext_lazy(
        "This PDF is damaged and cannot be read. Export or scan the agreement "
        "as a PDF again and choose that file."
    ),
    Problem.ENCRYPTED: gettext_lazy(
        "This PDF is protected by a password or encrypted with restrictions. "
        "Save a copy without protection and choose that file."
    ),
    Problem.NO_PAGES: gettext_lazy(
        "This PDF has no pages. Choose the file that contains the signed agreement."
    ),
    Problem.TOO_COMPLEX: gettext_lazy(
        "This PDF is too complex to check. Print the agreement to a new PDF, "
        "or scan it again, and choose that file."
    ),
    Problem.EXPANDS_TOO_FAR: gettext_lazy(
        "This PDF holds compressed data that expands far beyond what any "
        "agreement needs, as files made to overwhelm a server do. Print the "
        "agreement to a new PDF and choose that file."
    ),
    Problem.JAVASCRIPT: gettext_lazy(
        "This PDF contains JavaScript, which agreements may not carry. Print "
        "the agreement to a new PDF and choose that file."
    ),
    Problem.LAUNCH_ACTION: gettext_lazy(
        "This PDF tries to start another program or open another file. Print "
        "the agreement to a new PDF and choose that file."
    ),
    Problem.EXTERNAL_ACTION: gettext_lazy(
        "This PDF opens other files or sends data elsewhere: it has links or "
        "actions other than links to web pages and e-mail addresses. Print "
        "the agreement to a new PDF and choose that file."
    ),
    Problem.EMBEDDED_FILE: gettext_lazy(
        "This PDF has files attached or embedded in it. Remove the "
        "attachments, or print the agreement to a new PDF, and choose that "
        "file."
    ),
    Problem.XFA_FORM: gettext_lazy(
        "This PDF is an XFA form, which many programs show differently. Print "
        "the filled-in agreement to a new PDF and choose that file."
    ),
    Problem.RICH_MEDIA: gettext_lazy(
        "This PDF contains rich media, such as video, sound, 3D models or "
        "Flash. Print the agreement to a new PDF and choose that file."
    ),
    Problem.OPEN_ACTION: gettext_lazy(
        "This PDF runs an action as soon as it is opened. Print the agreement "
        "to a new PDF and choose that file."
    ),
    Problem.ADDITIONAL_ACTIONS: gettext_lazy(
        "This PDF runs actions on events such as opening a page or leaving a "
        "field. Print the agreement to a new PDF and choose that file."
    ),
}

# The form and then the service inspect the same upload within one request;
# remembering recent clean files spares the second child process. Only clean
# verdicts are kept: a refusal for lack of time may not hold on a retry.
CLEAN_MEMORY_SIZE = 64
_clean_digests: OrderedDict[str, None] = OrderedDict()
_clean_digests_lock = threading.Lock()


@dataclass(frozen=True)
class AgreementFile:
    """What the portal records about an accepted upload."""

    name: str
    size: int
    sha256: str


# Control and formatting characters (a right-to-left override among them),
# and the line and paragraph separators, which break a name across lines.
INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def clean_file_name(name: str) -> str:
    """Return the name as safe display data: no path, no control characters."""
    # Browsers may send a full path, and a name can hide characters that
    # change how it reads.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    visible = "".join(
        char for char in base if unicodedata.category(char) not in INVISIBLE_CATEGORIES
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
    """Check an uploaded agreement, name, size and content, and return its name,
    size and SHA-256. Raise ValidationError with a reason of its own."""
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

    data = b"".join(upload.chunks())
    upload.seek(0)
    digest = hashlib.sha256(data).hexdigest()

    # Telling the signature apart first spares a child process for the
    # photos and archives that are most often chosen by mistake.
    problem = header_problem(data)
    problems = [problem] if problem else inspect_clean_once(data, digest=digest)
    if problems:
        raise refusal(problems)
    return AgreementFile(name=name, size=len(data), sha256=digest)


def inspect_clean_once(data: bytes, *, digest: str) -> list[Problem]:
    """Inspect a PDF in a child process, unless the same bytes passed lately."""
    with _clean_digests_lock:
        if digest in _clean_digests:
            _clean_digests.move_to_end(digest)
            return []

    problems = inspect_pdf(data)

    if not problems:
        with _clean_digests_lock:
            _clean_digests[digest] = None
            while len(_clean_digests) > CLEAN_MEMORY_SIZE:
                _clean_digests.popitem(last=False)
    return problems


def refusal(problems: list[Problem]) -> ValidationError:
    errors = [
        ValidationError(REFUSALS[problem], code=problem.value) for problem in problems
    ]
    return errors[0] if len(errors) == 1 else ValidationError(errors)
