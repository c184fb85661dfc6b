"""WSGI entry point for application servers, and for runserver."""

import os

from django.core.wsgi import get_wsgi_application

from portal.safety import refuse_unsafe_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

refuse_unsafe_settings()
application = get_wsgi_application()
