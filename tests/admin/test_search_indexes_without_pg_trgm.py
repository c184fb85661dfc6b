"""Where the database account may not create pg_trgm, migrating still works.

The account below owns its schema but not its database, so it lacks the
CREATE privilege there, as on a managed PostgreSQL where only an administrator
adds extensions. The README's way out is then followed to the letter.

Setting this up takes a superuser that local roles can sign in as without a
password, as in development and CI.
"""

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

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
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database}"


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
    try:
        [(superuser,)] = as_superuser("postgres", "SELECT rolsuper FROM pg_roles "
                                      "WHERE rolname = current_user")  # fmt: skip
    except psycopg.OperationalError as error:
        pytest.skip(f"no password-less superuser connection: {error}")
    if not superuser:
        pytest.skip("creating roles and databases takes a superuser")

    suffix = uuid.uuid4().hex[:12]
    database, account = f"isv_terms_trgm_{suffix}", f"isv_terms_owner_{suffix}"
    with ExitStack() as cleanup:
        as_superuser("postgres", f"CREATE ROLE {account} LOGIN")
        cleanup.callback(as_superuser, "postgres", f"DROP ROLE {account}")
        as_superuser("postgres", f"CREATE DATABASE {database}")
        cleanup.callback(
            as_superuser, "postgres", f"DROP DATABASE {database} WITH (FORCE)"
        )
        [(may_create,)] = as_superuser(
            database,
            f"ALTER SCHEMA public OWNER TO {account}",
            f"SELECT has_database_privilege('{account}', '{database}', 'CREATE')",
        )
        assert not may_create

        yield server_url(database, account)


def indexes_of_submissions(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'onboarding_submission'"
        ).fetchall()
    return {name for (name,) in rows}


def run(url: str, *arguments: str):
    return manage(*arguments, env={"DJANGO_DEBUG": "1", "DATABASE_URL": url})


def test_migrating_warns_and_goes_on_without_the_search_indexes(
    database_without_extension_rights,
):
    url = database_without_extension_rights

    result = run(url, "migrate")

    assert result.returncode == 0, result.stderr
    assert "pg_trgm extension could not be created" in result.stderr
    assert "manage.py search_indexes" in result.stderr
    indexes = indexes_of_submissions(url)
    assert not indexes & SEARCH_INDEXES
    # The migrations after it ran too.
    assert "submission_outcomes" in indexes


def test_the_command_says_what_is_missing_until_the_extension_exists(
    database_without_extension_rights,
):
    url = database_without_extension_rights
    assert run(url, "migrate").returncode == 0
    database = url.rsplit("/", 1)[1]

    refused = run(url, "search_indexes")
    as_superuser(database, "CREATE EXTENSION pg_trgm")
    built = run(url, "search_indexes")
    again = run(url, "search_indexes")

    assert refused.returncode == 1
    assert "A database superuser must run CREATE EXTENSION pg_trgm" in refused.stderr
    assert built.returncode == 0, built.stderr
    assert "search indexes are built" in built.stdout
    assert again.returncode == 0, again.stderr
    assert indexes_of_submissions(url) >= SEARCH_INDEXES
