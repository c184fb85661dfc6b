from django.core.management.base import BaseCommand, CommandParser

from onboarding import services
from onboarding.models import PipelineState, Submission


class Command(BaseCommand):
    help = (
        "Show whether processing is paused by an account-level refusal, and "
        "lift the pause once the account is fixed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="Show the pipeline's state.")
        resume = actions.add_parser("resume", help="Lift the pause.")
        resume.add_argument("--reason", required=True, help="What was fixed.")

    def handle(self, *args, **options) -> None:
        if options["action"] == "resume":
            queued = services.pipeline_resume(actor=None, reason=options["reason"])
            if queued is None:
                self.stdout.write("Processing was not paused; nothing to do.")
                return
            self.stdout.write(f"Processing resumed; {queued} submissions queued.")
            return

        state = PipelineState.current()
        waiting = Submission.objects.filter(
            status__in=[Submission.Status.QUEUED, Submission.Status.RETRYING]
        ).count()
        if not state.paused:
            self.stdout.write(f"Processing runs. {waiting} submissions waiting.")
            if state.resumed_at is not None:
                self.stdout.write(self.last_resume(state))
            return
        self.stdout.write(
            f"Processing is PAUSED since {state.paused_at:%Y-%m-%d %H:%M:%S %Z}.\n"
            f"Reason: {state.error_code}: {state.reason}\n"
            f"A trial submission may run after "
            f"{state.cool_off_until:%Y-%m-%d %H:%M:%S %Z}.\n"
            f"{waiting} submissions waiting."
        )

    @staticmethod
    def last_resume(state: PipelineState) -> str:
        # No one signed in lifts it from the command line or by a trial.
        by = f" by {state.resumed_by}" if state.resumed_by else ""
        return (
            f"The last pause was lifted {state.resumed_at:%Y-%m-%d %H:%M:%S %Z}"
            f"{by}: {state.resume_reason}"
        )
