import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from onboarding.sandbox import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    Sandbox,
    SandboxConfig,
)


class Command(BaseCommand):
    help = (
        "Serve the local ChatApp and OSS sandbox on 127.0.0.1. It accepts one key "
        "pair, the published demo pair unless another is given."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--access-key-id", default=DEMO_ACCESS_KEY_ID)
        parser.add_argument("--access-key-secret", default=DEMO_ACCESS_KEY_SECRET)
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=settings.BASE_DIR / "var" / "sandbox",
            help="Where uploaded objects and issued credentials are kept.",
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=5,
            help="Calls of one action per key in any one-second window.",
        )
        parser.add_argument(
            "--sts-lifetime",
            type=float,
            default=3600,
            help="Seconds that issued OSS credentials stay valid.",
        )
        parser.add_argument(
            "--expire-style",
            choices=["seconds", "epoch"],
            default="seconds",
            help='How "Expire" is reported: a lifetime or an epoch time.',
        )
        parser.add_argument(
            "--slow-seconds",
            type=float,
            default=15.0,
            help='How long the "slow" scenario waits before answering.',
        )

    def handle(self, *args, **options) -> None:
        if options["rate_limit"] < 1:
            raise CommandError("--rate-limit must be at least 1.")
        if options["sts_lifetime"] <= 0 or options["slow_seconds"] < 0:
            raise CommandError(
                "--sts-lifetime must be positive and --slow-seconds not negative."
            )
        try:
            sandbox = self.build(options)
        except OSError as error:
            raise CommandError(
                f"Cannot listen on 127.0.0.1:{options['port']}: {error.strerror}. "
                "Is another sandbox running? Choose another --port."
            ) from None

        stop = threading.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: stop.set())

        sandbox.start()
        self.stdout.write(
            f"ChatApp sandbox listening at {sandbox.url} "
            f"(access key ID {options['access_key_id']})"
        )
        stop.wait()
        sandbox.stop()
        self.stdout.write("ChatApp sandbox stopped.")

    @staticmethod
    def build(options: dict) -> Sandbox:
        return Sandbox(
            SandboxConfig(
                data_dir=options["data_dir"],
                port=options["port"],
                access_key_id=options["access_key_id"],
                access_key_secret=options["access_key_secret"],
                rate_limit=options["rate_limit"],
                sts_lifetime=options["sts_lifetime"],
                expire_style=options["expire_style"],
                slow_seconds=options["slow_seconds"],
            )
        )
