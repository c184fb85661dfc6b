"""Indexes from which the figures above the admin's list are read alone.

The new indexes are built first and the replaced one dropped last: building
blocks writes to the table but not reads, while dropping an index locks the
table entirely until the migration commits.
"""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0009_search_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(
                fields=["-created_at", "status"], name="submission_newest_status"
            ),
        ),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(
                fields=["status", "fixable_by"], name="submission_outcomes"
            ),
        ),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    "requeued_at", "created_at"
                ),
                condition=models.Q(("status__in", ("queued", "retrying"))),
                name="submission_waiting_since",
            ),
        ),
        migrations.RemoveIndex(
            model_name="submission",
            name="submission_newest",
        ),
    ]
