from dataclasses import dataclass
from pathlib import Path

# The key pair the sandbox accepts unless told otherwise. Published on purpose:
# it opens nothing but the local sandbox.
DEMO_ACCESS_KEY_ID = "LTAI5tSandboxDemoKeyId"
DEMO_ACCESS_KEY_SECRET = "SandboxDemoKeySecret0123456789"  # noqa: S105

CHATAPP_VERSION = "2020-06-06"


@dataclass(frozen=True)
class SandboxConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8001
    access_key_id: str = DEMO_ACCESS_KEY_ID
    access_key_secret: str = DEMO_ACCESS_KEY_SECRET
    # Calls of one action per key in any one-second window, like ChatApp's.
    rate_limit: int = 5
    # How long issued OSS credentials live, in seconds.
    sts_lifetime: float = 3600
    # How "Expire" is reported: "seconds" of lifetime or an "epoch" time.
    expire_style: str = "seconds"
    # How long the "slow" scenario waits before answering.
    slow_seconds: float = 15.0
    bucket: str = "chatapp-sandbox"
