from django.contrib.auth.management import create_permissions
from django.db import migrations

# What each role may do in the admin. Superusers keep everything.
ROLES = {
    "Support": [
        "view_submission",
        "view_apicall",
        "view_submissionevent",
        "reprocess_submission",
        "export_submission",
        "resume_pipeline",
    ],
    "Reviewers": [
        "view_submission",
        "view_apicall",
        "view_submissionevent",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the
    # roles need them now. The migration state's app config has no models
    # module, which create_permissions checks for.
    app_config = apps.get_app_config("onboarding")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="onboarding", codename__in=codenames
            )
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0004_review_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
