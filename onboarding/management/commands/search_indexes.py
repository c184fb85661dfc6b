from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from onboarding.search_indexes import build_search_indexes


class Command(BaseCommand):
    help = (
        "Build the trigram indexes that serve the admin's search on PostgreSQL, "
        "where migrating could not create the pg_trgm extension. Safe to run "
        "again."
    )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"Nothing to build: trigram indexes are PostgreSQL's, and this "
                f"database is {connection.vendor}."
            )
            return

        try:
            build_search_indexes(connection)
        except DatabaseError as error:
            raise CommandError(
                f"The search indexes were not built: {error}. A database "
                f"superuser must run CREATE EXTENSION pg_trgm in this database "
                f"first."
            ) from error

        self.stdout.write(self.style.SUCCESS("The admin's search indexes are built."))
