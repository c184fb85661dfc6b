from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = _("Customer onboarding")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from onboarding import signals  # noqa: F401  (connects the receivers)
