"""Trigram indexes that serve the admin's search on PostgreSQL.

The admin finds a term anywhere in company, contact email and space ID, which
an ordinary index cannot serve: on a large table every search read the whole
table, twice. A trigram index on each field, over the very expression the
search compares, serves it.

pg_trgm ships with PostgreSQL and is trusted, so an account with the CREATE
privilege on the database (its owner, for one) may create it. Migration 0009
builds the indexes where it can; `manage.py search_indexes` builds them later,
once an administrator has created the extension.
"""

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

SEARCHED_FIELDS = ("company_name", "contact_email", "cust_space_id")


def index_name(field: str) -> str:
    return f"submission_search_{field}"


def build_search_indexes(connection: BaseDatabaseWrapper) -> None:
    """Create the extension and the indexes where missing.

    Raises DatabaseError when the account may not create the extension; the
    savepoint leaves any surrounding transaction, a migration's, usable.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for field in SEARCHED_FIELDS:
            # The expression Django's case-insensitive "contains" compares.
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index_name(field)}" '
                f'ON "onboarding_submission" USING gin '
                f'(UPPER("{field}"::text) gin_trgm_ops)'
            )


def drop_search_indexes(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for field in SEARCHED_FIELDS:
            cursor.execute(f'DROP INDEX IF EXISTS "{index_name(field)}"')
