"""manage.py search_indexes: builds the admin's search indexes, or says why not."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db


def test_it_builds_the_indexes_or_says_there_is_nothing_to_build():
    output = io.StringIO()

    call_command("search_indexes", stdout=output)

    if connection.vendor == "postgresql":
        assert "The admin's search indexes are built." in output.getvalue()
    else:
        assert "Nothing to build: trigram indexes are PostgreSQL's" in (
            output.getvalue()
        )
