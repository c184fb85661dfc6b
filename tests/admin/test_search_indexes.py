"""On PostgreSQL, the admin's search is served by its trigram indexes."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from onboarding.models import ApiCall, Submission

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's"
    ),
]


def search_plan(term: str, superuser) -> str:
    model_admin = site._registry[Submission]
    request = RequestFactory().get("/admin/onboarding/submission/", {"q": term})
    request.user = superuser
    found, _ = model_admin.get_search_results(request, Submission.objects.all(), term)
    with connection.cursor() as cursor:
        # A table this small is read whole whatever indexes it has; the plan
        # with table scans priced out shows which indexes the query can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = found.order_by().query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_search_uses_an_index_for_each_field_it_matches(administrator):
    plan = search_plan("nusantara", administrator)

    for field in ["company_name", "contact_email", "cust_space_id"]:
        assert f"submission_search_{field}" in plan


def test_a_search_for_a_request_id_keeps_the_indexes(administrator, make_submission):
    submission = make_submission()
    ApiCall.objects.create(
        submission=submission,
        attempt=1,
        action="SubmitIsvCustomerTerms",
        request_id="0F1E2D3C-REQUEST",
    )

    plan = search_plan("0F1E2D3C-REQUEST", administrator)

    for field in ["company_name", "contact_email", "cust_space_id"]:
        assert f"submission_search_{field}" in plan
