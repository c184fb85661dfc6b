"""Refuse to serve with settings that are only fit for development."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_unsafe_settings() -> None:
    """Stop an application server from starting with development settings."""
    if settings.DEBUG:
        return

    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a long random value when "
            "DJANGO_DEBUG is off; the development key is only accepted in debug "
            "mode."
        )
