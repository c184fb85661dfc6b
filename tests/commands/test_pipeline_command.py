"""`manage.py pipeline` shows the pause and lifts it from the command line."""

from io import StringIO

import pytest
from django.core.management import call_command

from onboarding.models import PipelineState, Submission, SubmissionEvent
from tests.conftest import pause_processing

pytestmark = pytest.mark.django_db


def pipeline(*args: str) -> str:
    out = StringIO()
    call_command("pipeline", *args, stdout=out)
    return out.getvalue()


def test_status_names_the_pause_its_reason_and_what_waits(make_submission):
    make_submission(status=Submission.Status.RETRYING)
    pause_processing()

    shown = pipeline("status")

    assert "Processing is PAUSED since" in shown
    assert "Ram.PermissionDeny: You are not authorized to do this." in shown
    assert "1 submissions waiting." in shown


def test_resume_lifts_the_pause_and_queues_what_waited(make_submission):
    waiting = make_submission(status=Submission.Status.RETRYING)
    pause_processing()

    said = pipeline("resume", "--reason", "Policy attached")

    assert said == "Processing resumed; 1 submissions queued.\n"
    assert not PipelineState.current().paused
    event = SubmissionEvent.objects.get(submission=waiting)
    assert event.kind == "resumed"
    assert event.message == "Processing resumed: Policy attached"


def test_status_tells_when_and_why_the_last_pause_was_lifted():
    pause_processing()
    pipeline("resume", "--reason", "Policy attached")

    shown = pipeline("status")

    assert shown.startswith("Processing runs. 0 submissions waiting.\n")
    assert "The last pause was lifted" in shown
    assert shown.rstrip().endswith(": Policy attached")


def test_resume_without_a_pause_changes_nothing():
    said = pipeline("resume", "--reason", "Just in case")

    assert said == "Processing was not paused; nothing to do.\n"
    assert PipelineState.current().resumed_at is None
