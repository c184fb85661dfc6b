"""The portal's worker: django-tasks-db's database worker, plus recovery.

Between polls it looks for submissions that a dead worker or a lost task left
behind (see services.submissions_recover), so nothing waits for a person.
"""

import logging
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.db import close_old_connections
from django.db.utils import InterfaceError, OperationalError
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from onboarding import services
from portal.safety import refuse_unsafe_settings

logger = logging.getLogger(__name__)


class PortalWorker(db_worker.Worker):
    def run(self) -> None:
        logger.info("Worker %s started", self.worker_id)
        next_recovery = 0.0
        while self.running:
            close_old_connections()
            if time.monotonic() >= next_recovery:
                self.recover()
                next_recovery = time.monotonic() + settings.PIPELINE_RECOVERY_SECONDS

            try:
                task_result, asked = self.next_task()
            except (OperationalError, InterfaceError):
                # The database went away (a restart, a network blip): wait,
                # reconnect and carry on rather than leave no worker running.
                logger.exception("The database is unreachable; retrying shortly")
                close_old_connections()
                time.sleep(max(self.interval, 2.0))
                continue
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and asked:
                logger.info("Worker %s found nothing due; exiting", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and task_result is None:
                time.sleep(self.interval)

    def next_task(self) -> tuple[DBTaskResult | None, bool]:
        """Claim the next ready task; also say whether the database answered."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except OperationalError as error:
            # A busy SQLite database frees up soon; ask again next round.
            if is_locked_database_exception(error):
                return None, False
            raise
        return task_result, True

    def recover(self) -> None:
        try:
            counts = services.submissions_recover()
        except OperationalError:
            logger.exception("Recovery failed; the next round tries again")
            return
        if any(counts.values()):
            logger.warning(
                "Recovered %s submissions held by stopped workers and queued "
                "%s stranded ones again",
                counts["stale"],
                counts["requeued"],
            )


class Command(db_worker.Command):
    help = (
        "Process queued submissions until stopped; with --batch, drain what is "
        "due and exit. SIGTERM lets the current step finish first."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # Poll often enough that a new submission starts within a moment;
        # reloading would cut tasks short, so it is off unless asked for.
        parser.set_defaults(interval=0.25, reload=False)

    def handle(self, *args, **options) -> None:
        try:
            refuse_unsafe_settings()
        except ImproperlyConfigured as refusal:
            raise CommandError(str(refusal)) from None

        if options["reload"]:
            return super().handle(*args, **options)

        self.configure_logging(options["verbosity"])
        worker = PortalWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
