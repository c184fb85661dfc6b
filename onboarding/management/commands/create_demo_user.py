from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
# Published on purpose: the account exists only in debug mode.
DEMO_PASSWORD = "demo-staff-2026"  # noqa: S105


class Command(BaseCommand):
    help = (
        "Create or reset the demo staff account for local use and print how to "
        "sign in. Refused unless DJANGO_DEBUG is on: its password is public."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "The demo account has a published password; it is only created "
                "when DJANGO_DEBUG is on."
            )

        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"email": "demo@example.com", "first_name": "Demo"},
        )
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()

        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} the demo staff account. Sign in with username "
                f"{DEMO_USERNAME!r} and password {DEMO_PASSWORD!r}."
            )
        )
