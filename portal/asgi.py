"""ASGI entry point for application servers."""

import os

from django.core.asgi import get_asgi_application

from portal.safety import refuse_unsafe_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

refuse_unsafe_settings()
application = get_asgi_application()
