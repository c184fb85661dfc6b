import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run the portal on this machine: the web server, a worker and, in sandbox "
        "mode, the local ChatApp sandbox, each as its own process. Ctrl-C stops "
        "them all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {}
        sandbox_url = f"http://127.0.0.1:{settings.SANDBOX_PORT}"
        if settings.CHATAPP_SANDBOX and sandbox_url != settings.CHATAPP_ENDPOINT:
            self.stderr.write(
                f"CHATAPP_ENDPOINT is {settings.CHATAPP_ENDPOINT}, but the sandbox "
                f"starts at {sandbox_url}: the portal will not reach it. Unset "
                "CHATAPP_ENDPOINT or set SANDBOX_PORT to match."
            )
        if settings.CHATAPP_SANDBOX:
            commands["sandbox"] = [
                *manage,
                "sandbox",
                "--port",
                str(settings.SANDBOX_PORT),
            ]
        commands["web"] = [*manage, "runserver", f"127.0.0.1:{options['port']}"]
        commands["worker"] = [*manage, "db_worker"]

        stop = threading.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: stop.set())

        # Each child leads its own process group, so stopping it also stops
        # what it started (runserver's reloader runs the server as a child).
        children = {
            # The commands are this project's own, built above from settings.
            name: subprocess.Popen(command, start_new_session=True)  # noqa: S603
            for name, command in commands.items()
        }
        self.stdout.write(
            f"Portal at http://127.0.0.1:{options['port']}/"
            + (f", sandbox at {sandbox_url}" if "sandbox" in children else "")
        )

        exited = None
        while not stop.wait(0.5):
            exited = next(
                (name for name, child in children.items() if child.poll() is not None),
                None,
            )
            if exited:
                self.stderr.write(f"The {exited} process stopped; stopping the rest.")
                break

        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if exited:
            sys.exit(1)
