"""Structured fields for log lines about a submission.

Each line names its submission twice: as ``submission=<id>`` in the text, for
people reading plain logs, and as fields, for the JSON a log collector reads.
The event names the step or decision, so a collector can count and alert on
them without parsing sentences.
"""


def about(submission_id, event: str, **fields) -> dict:
    """The `extra` of a log call about one submission."""
    return {"submission_id": str(submission_id), "event": event, **fields}
