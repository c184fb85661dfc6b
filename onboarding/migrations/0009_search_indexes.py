"""Trigram indexes for the admin's search, on PostgreSQL.

See onboarding/search_indexes.py. Where the account may not create pg_trgm,
the migration says so and goes on: search then works as before, only slower.
Other databases have no such index.
"""

import logging

from django.db import DatabaseError, migrations

from onboarding.search_indexes import build_search_indexes, drop_search_indexes

logger = logging.getLogger(__name__)


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        build_search_indexes(schema_editor.connection)
    except DatabaseError as error:
        logger.warning(
            "The admin's search indexes were not built, as the pg_trgm extension "
            "could not be created (%s). Search works without them, but reads "
            "the whole table; have a database superuser run CREATE EXTENSION "
            "pg_trgm, then run manage.py search_indexes.",
            error,
        )


def remove_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        drop_search_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0008_requeued_at"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, remove_search_indexes),
    ]
