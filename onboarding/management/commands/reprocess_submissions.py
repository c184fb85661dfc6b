from collections import Counter
from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from onboarding import services
from onboarding.models import Submission


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-12-03.") from None


class Command(BaseCommand):
    help = (
        "Queue failed submissions again. Filters narrow the selection; "
        "--dry-run lists what would happen without changing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status",
            default=Submission.Status.FAILED,
            choices=Submission.Status.values,
            help="Only submissions with this status (default: failed). Others "
            "are listed as refused, with the reason.",
        )
        parser.add_argument("--error-code", help="Only this last error code.")
        parser.add_argument("--since", type=parse_date, help="Created on or after.")
        parser.add_argument("--until", type=parse_date, help="Created on or before.")
        parser.add_argument("--submitter", help="Only this submitter's username.")
        parser.add_argument("--reason", default="", help="Recorded with each one.")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options) -> None:
        submissions = self.select(options)
        counts = Counter()
        for submission in submissions.iterator():
            label = f"{submission.pk} {submission.company_name} ({submission.status})"
            if submission.status != Submission.Status.FAILED:
                counts["refused"] += 1
                self.stdout.write(f"refused  {label}: only failed ones are sent again")
                continue
            if options["dry_run"]:
                counts["would queue"] += 1
                self.stdout.write(
                    f"would queue  {label}, last error {submission.last_error_code}"
                )
                continue
            try:
                services.submission_reprocess(
                    submission=submission,
                    actor=None,
                    reason=options["reason"] or "Queued again from the command line.",
                )
            except services.NotReprocessable as refusal:
                counts["refused"] += 1
                self.stdout.write(f"refused  {label}: {refusal}")
            else:
                counts["queued"] += 1
                self.stdout.write(f"queued   {label}")

        summary = ", ".join(f"{count} {what}" for what, count in sorted(counts.items()))
        self.stdout.write(summary or "No submission matches.")

    def select(self, options):
        submissions = Submission.objects.filter(status=options["status"])
        if options["error_code"]:
            submissions = submissions.filter(last_error_code=options["error_code"])
        zone = timezone.get_current_timezone()
        if options["since"]:
            start = datetime.combine(options["since"], time.min, tzinfo=zone)
            submissions = submissions.filter(created_at__gte=start)
        if options["until"]:
            end = datetime.combine(options["until"], time.max, tzinfo=zone)
            submissions = submissions.filter(created_at__lte=end)
        if options["submitter"]:
            user = (
                get_user_model().objects.filter(username=options["submitter"]).first()
            )
            if user is None:
                raise CommandError(f"No user is called {options['submitter']!r}.")
            submissions = submissions.filter(submitted_by=user)
        return submissions.order_by("created_at")
