"""Where the database account may not create pg_trgm, migrating still works.

The account below owns its schema but lacks the CREATE privilege on its
database, as on a managed PostgreSQL where only an administrator adds
extensions. The README's way out is then followed to the letter.
"""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from tests.test_production_checks import manage

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's"
)

SEARCH_INDEXES = {
    "submission_search_company_name",
    "submission_search_contact_email",
    "submission_search_cust_space_id",
}


def server_url(database: str, user: str | None = None) -> str:
    settings = connection.settings_dict
    user = user or settings["USER"] or "postgres"
    return f"postgres://{user}@{settings['HOST']}:{settings['PORT']}/{database}"


def as_superuser(database: str, *statements: str) -> list[tuple]:
    with psycopg.connect(server_url(database), autocommit=True) as db:
        rows = []
        for statement in statements:
            cursor = db.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        return rows


@pytest.fixture
def database_without_extension_rights() -> Iterator[str]:
    """A fresh database and an account that may create tables but no extension."""
    suffix = uuid.uuid4().hex[:12]
    database, account = f"isv_terms_trgm_{suffix}", f"isv_terms_owner_{suffix}"
    as_superuser(
        "postgres", f"CREATE ROLE {account} LOGIN", f"CREATE DATABASE {database}"
    )
    as_superuser(
        database,
        f"REVOKE CREATE ON DATABASE {database} FROM PUBLIC",
        f"ALTER SCHEMA public OWNER TO {account}",
    )
    try:
        yield server_url(database, account)
    finally:
        as_superuser(
            "postgres",
            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {account}",
        )


def indexes_of_submissions(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'onboarding_submission'"
        ).fetchall()
    return {name for (name,) in rows}


def migrate(url: str, *arguments: str):
    return manage("migrate", *arguments, env={"DJANGO_DEBUG": "1", "DATABASE_URL": url})


def test_migrating_warns_and_goes_on_without_the_search_indexes(
    database_without_extension_rights,
):
    url = database_without_extension_rights

    result = migrate(url)

    assert result.returncode == 0, result.stderr
    assert "pg_trgm extension could not be created" in result.stderr
    assert "CREATE EXTENSION pg_trgm" in result.stderr
    indexes = indexes_of_submissions(url)
    assert not indexes & SEARCH_INDEXES
    # The migrations after it ran too.
    assert "submission_outcomes" in indexes


def test_the_indexes_follow_once_an_administrator_adds_the_extension(
    database_without_extension_rights,
):
    url = database_without_extension_rights
    assert migrate(url).returncode == 0
    database = url.rsplit("/", 1)[1]

    as_superuser(database, "CREATE EXTENSION pg_trgm")
    back = migrate(url, "onboarding", "0008")
    forward = migrate(url)

    assert back.returncode == 0, back.stderr
    assert forward.returncode == 0, forward.stderr
    assert indexes_of_submissions(url) >= SEARCH_INDEXES
