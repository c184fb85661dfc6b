"""Refuse to serve or process with settings that are only fit for development.

The application server (portal/wsgi.py) and the worker call this as they
start. Commands that serve nothing, such as `check` or `migrate`,
may still run with development settings.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_unsafe_settings() -> None:
    """Stop a server or a worker from starting with development settings."""
    if settings.DEBUG:
        return

    problems = unsafe_settings()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


def unsafe_settings() -> list[str]:
    """What is unfit for production in the current settings, naming each variable."""
    problems = []
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        problems.append(
            "DJANGO_SECRET_KEY must be set to a long random value when "
            "DJANGO_DEBUG is off; the development key is only accepted in debug "
            "mode."
        )
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            "DJANGO_ALLOWED_HOSTS must name the portal's host names when "
            "DJANGO_DEBUG is off, not '*': a portal that answers to any host "
            "name can be made to send password reset links to another site."
        )
    if settings.CHATAPP_SANDBOX and not settings.CHATAPP_SANDBOX_REQUESTED:
        problems.append(
            "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must "
            "be set when DJANGO_DEBUG is off. To run against the local sandbox on "
            "purpose, set CHATAPP_SANDBOX=1."
        )
    return problems
