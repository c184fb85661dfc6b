"""Use cases: the only way views, admin, commands and tasks change anything."""

from onboarding.services.client import chatapp_client
from onboarding.services.exports import submissions_export
from onboarding.services.pipeline import is_paused
from onboarding.services.pipeline import resume as pipeline_resume
from onboarding.services.processing import submission_process, submissions_recover
from onboarding.services.submissions import (
    NotReprocessable,
    ReprocessPlan,
    reprocess_plan,
    submission_create,
    submission_reprocess,
    submission_resubmit,
    submissions_reprocess,
)

__all__ = [
    "NotReprocessable",
    "ReprocessPlan",
    "chatapp_client",
    "is_paused",
    "pipeline_resume",
    "reprocess_plan",
    "submission_create",
    "submission_process",
    "submission_reprocess",
    "submission_resubmit",
    "submissions_export",
    "submissions_recover",
    "submissions_reprocess",
]
