"""Log lines about one submission: each step it goes through, each decision.

Each line names its submission twice: as ``submission=<id>`` in the text, for
people reading plain logs, and as fields, for the JSON a log collector reads.
The event names the step or decision, so a collector can count and alert on
them without parsing sentences.
"""

import logging
from datetime import datetime
from enum import Enum


class StepLog:
    """Write a module's lines about submissions through its logger.

    ``steps.info("claimed", pk, "Claimed", attempt=2)`` writes
    ``Claimed submission=<pk> attempt=2`` with the fields ``submission_id``,
    ``event`` and ``attempt``.
    """

    def __init__(self, logger: logging.Logger):
        self.logger = logger

    def debug(self, event: str, submission_id, text: str, **fields) -> None:
        self._write(logging.DEBUG, event, submission_id, text, fields)

    def info(self, event: str, submission_id, text: str, **fields) -> None:
        self._write(logging.INFO, event, submission_id, text, fields)

    def warning(self, event: str, submission_id, text: str, **fields) -> None:
        self._write(logging.WARNING, event, submission_id, text, fields)

    def error(self, event: str, submission_id, text: str, **fields) -> None:
        self._write(logging.ERROR, event, submission_id, text, fields)

    def exception(self, event: str, submission_id, text: str, **fields) -> None:
        """Like `error`, with the exception being handled."""
        self._write(logging.ERROR, event, submission_id, text, fields, True)

    def log(self, level: int, event: str, submission_id, text: str, **fields) -> None:
        self._write(level, event, submission_id, text, fields)

    def _write(self, level, event, submission_id, text, fields, exc_info=False):
        if not self.logger.isEnabledFor(level):
            return

        values = {name: _plain(value) for name, value in fields.items()}
        # The text is a sentence, not a template: a percent sign in it is kept.
        placeholders = (f"{name}=%s" for name in values)
        template = " ".join([text.replace("%", "%%"), "submission=%s", *placeholders])
        # The values stay arguments, filled in only as the line is written, so
        # that the handler's filters see each one.
        self.logger.log(
            level,
            template,
            str(submission_id),
            *values.values(),
            exc_info=exc_info,
            extra={"submission_id": str(submission_id), "event": event, **values},
            # The line names the function that logged it, not this class.
            stacklevel=3,
        )


def _plain(value):
    # Times and choices read the same in the text and in the JSON.
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
