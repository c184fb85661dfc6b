"""Trigram indexes for the admin's search, on PostgreSQL.

The admin finds a term anywhere in company, contact email and space ID, which
an ordinary index cannot serve: on a large table every search read the whole
table, twice. A trigram index on each field, over the very expression the
search compares, serves it.

pg_trgm ships with PostgreSQL and is trusted, so a database owner may create
it. Where the account may not, the migration says so and goes on: search then
works as before, only slower, and running the migration again once the
extension exists adds the indexes. Other databases have no such index.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

SEARCHED = ["company_name", "contact_email", "cust_space_id"]


def index_name(field: str) -> str:
    return f"submission_search_{field}"


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning(
            "The admin's search indexes were not built, as the pg_trgm extension "
            "could not be created (%s). Search works without them, but reads "
            "the whole table; have a database superuser run CREATE EXTENSION "
            "pg_trgm, then migrate onboarding 0008 and migrate again.",
            error,
        )
        return

    for field in SEARCHED:
        # The expression Django's case-insensitive "contains" compares.
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(field)}" '
            f'ON "onboarding_submission" USING gin '
            f'(UPPER("{field}"::text) gin_trgm_ops)'
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in SEARCHED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(field)}"')


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0008_requeued_at"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
