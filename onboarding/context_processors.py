from django.conf import settings
from django.http import HttpRequest


def chatapp_mode(request: HttpRequest) -> dict:
    """Tell every page whether submissions go to the local sandbox."""
    return {"chatapp_sandbox": settings.CHATAPP_SANDBOX}
