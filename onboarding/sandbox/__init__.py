"""A local stand-in for ChatApp's API and OSS, for demonstrations and tests.

It uses the standard library only and shares no code with the portal's client,
so a mistake in one cannot hide in the other.
"""

from onboarding.sandbox.config import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    SandboxConfig,
)
from onboarding.sandbox.server import RecordedCall, Sandbox

__all__ = [
    "DEMO_ACCESS_KEY_ID",
    "DEMO_ACCESS_KEY_SECRET",
    "RecordedCall",
    "Sandbox",
    "SandboxConfig",
]
