"""Task entry points for the workers: load by id, call a service."""

from django_tasks import task

from onboarding import services


@task()
def process_submission(submission_id: str) -> str:
    return services.submission_process(submission_id=submission_id)
