"""How log lines look, and the filter that keeps secrets out of them.

The filter sits on the handler, so every record passes through it whichever
logger made it: oss2 and urllib3 print request headers, STS tokens among
them, when someone turns their debug output on.
"""

import copy
import json
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings

from onboarding.chatapp import live_secrets
from onboarding.chatapp.records import REDACTED, names_a_secret, redact

# What every record carries; anything else came in through `extra`.
STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName"}

# Values whose text cannot hold a secret, left as they are so that numeric
# placeholders such as %d still format.
_PLAIN_TYPES = (bool, int, float, Decimal, UUID, date, datetime)

WITHHELD = "A log line was withheld: its secrets could not be removed."


def extra_fields(record: logging.LogRecord) -> dict:
    """The fields a log call added with `extra`."""
    return {
        name: value
        for name, value in record.__dict__.items()
        if name not in STANDARD_ATTRIBUTES
    }


def known_secrets() -> tuple[str, ...]:
    """The AccessKey secret from settings and the STS values the client holds."""
    configured = ""
    if settings.configured:
        configured = getattr(settings, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
    return (configured, *live_secrets.known())


def _scrubbed(value, secrets: tuple[str, ...]):
    if value is None or isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, str | dict | list):
        return redact(value, secrets)
    if isinstance(value, tuple):
        return tuple(_scrubbed(item, secrets) for item in value)

    # Any other object prints as its text; keep the object unless that text
    # gives something away.
    text = str(value)
    clean = redact(text, secrets)
    return value if clean == text else clean


def _scrubbed_mapping(args: Mapping, secrets: tuple[str, ...]) -> Mapping:
    clean = redact(dict(args), secrets)
    # A mapping of its own kind may answer for keys it does not hold, as
    # gunicorn's access-log fields answer "-" for a header nobody sent; a
    # plain dict would fail the line instead.
    try:
        kept = copy.copy(args)
        kept.update(clean)
    except (AttributeError, TypeError, copy.Error):
        return clean
    return kept


class RedactSecrets(logging.Filter):
    """Replace secrets in a record's message, arguments, extras and traceback.

    A second line of defence: code should not log secrets in the first place.
    """

    _tracebacks = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._scrub(record, known_secrets())
        except Exception:
            # Better a line that says nothing than one that may show a secret.
            record.msg, record.args = WITHHELD, ()
            record.exc_info = record.exc_text = record.stack_info = None
        return True

    def _scrub(self, record: logging.LogRecord, secrets: tuple[str, ...]) -> None:
        if isinstance(record.args, Mapping):
            record.args = _scrubbed_mapping(record.args, secrets)
        elif isinstance(record.args, tuple):
            record.args = _scrubbed(record.args, secrets)
        # With arguments, the message is a template: a pattern could swallow
        # a placeholder ("SecurityToken=%s"), so it is checked once filled in.
        if not record.args:
            record.msg = _scrubbed(record.msg, secrets)

        # A field named like a secret is dropped whole, as in call records.
        for name, value in extra_fields(record).items():
            clean = REDACTED if names_a_secret(name) else _scrubbed(value, secrets)
            setattr(record, name, clean)

        # The traceback is written out here, so that what formatters print
        # is the cleaned text rather than the live exception.
        if record.exc_info and not record.exc_text:
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)

        # The message as it will be printed: a secret may show only once the
        # arguments are in, such as a token after a name in the template.
        try:
            rendered = record.getMessage()
        except (TypeError, ValueError):
            # The handler reports the mismatch, quoting the template.
            record.msg = _scrubbed(record.msg, secrets)
            return
        clean = redact(rendered, secrets)
        if clean != rendered:
            record.msg, record.args = clean, ()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in extra_fields(record).items():
            entry.setdefault(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def gunicorn_logging(portal: dict, *, access_log: str | None) -> dict:
    """gunicorn's `logconfig_dict`: its lines written as the portal's are.

    `portal` is the portal's LOGGING setting: gunicorn's lines take its
    formatter and filter, and its error log the portal's level. `access_log`
    is where a line per request goes: "-" for standard output, a file, or None.
    """
    console = portal["handlers"]["console"]
    if access_log is None:
        access = {"class": "logging.NullHandler"}
    elif access_log == "-":
        access = {**console, "stream": "ext://sys.stdout"}
    else:
        access = {**console, "class": "logging.FileHandler", "filename": access_log}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": portal["formatters"],
        "filters": portal["filters"],
        "handlers": {"console": console, "access": access},
        "root": portal["root"],
        "loggers": {
            "gunicorn.error": {
                "handlers": ["console"],
                "level": portal["root"]["level"],
                "propagate": False,
            },
            # Request lines are switched off with the access log, not by level.
            "gunicorn.access": {
                "handlers": ["access"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }
