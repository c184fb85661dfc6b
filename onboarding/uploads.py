"""Limits on what one request may upload, applied while it is being read.

The form checks the agreement once it has arrived; these limits make sure a
huge or many-part upload never arrives at all. The middleware refuses a body
that announces itself as too large before reading any of it; the upload
handler stops reading a file at the first byte past the limit, and a request
at its second file, so no oversized upload is ever stored, on disk or in
memory.
"""

import logging

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Why the upload handler stopped reading, for the form to explain.
TOO_LARGE = "too_large"
TOO_MANY_FILES = "too_many_files"


def upload_refusal_message(reason: str) -> str:
    if reason == TOO_MANY_FILES:
        return _(
            "Only one file can be sent with the form. Choose the signed agreement "
            "alone and send the form again."
        )
    return _(
        "The file is larger than %(limit)s, the most an agreement may be. Reduce "
        "its size (for instance, scan it at a lower resolution) and choose it "
        "again."
    ) % {"limit": filesizeformat(settings.AGREEMENT_MAX_BYTES)}


class AgreementUploadLimit(FileUploadHandler):
    """Stop reading at a second file, or past the agreement's size limit.

    First in FILE_UPLOAD_HANDLERS: it passes each chunk on to Django's own
    handlers, which store it, only once the chunk is known to be within bounds.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.files_seen = 0
        self.bytes_seen = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.bytes_seen = 0
        if self.files_seen > 1:
            self.refuse(TOO_MANY_FILES)

    def receive_data_chunk(self, raw_data, start):
        self.bytes_seen += len(raw_data)
        if self.bytes_seen > settings.AGREEMENT_MAX_BYTES:
            self.refuse(TOO_LARGE)
        return raw_data

    def file_complete(self, file_size):
        return None

    def refuse(self, reason: str) -> None:
        if self.request is not None:
            self.request.upload_refusal = reason
        logger.info("Stopped reading an upload: %s", reason)
        # Reading on discards the rest, which the body limit keeps small, so
        # that the fields sent before the file still reach the form.
        raise StopUpload(connection_reset=False)


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than any form of the portal needs.

    Placed before the CSRF middleware, whose token check is the first to read
    a posted body: a refused body is never read at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.REQUEST_MAX_BYTES:
            return None

        logger.info(
            "Refused a request body of %s bytes to %s (limit %s)",
            length,
            request.path,
            settings.REQUEST_MAX_BYTES,
        )
        return render(
            request,
            "request_too_large.html",
            {
                "size": length,
                "limit": settings.AGREEMENT_MAX_BYTES,
                "back": request.path,
            },
            status=413,
        )
