"""`manage.py serve` (what `make run` runs): prepare the data directory, then run the web server and
a worker side by side until Ctrl-C stops both."""

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def admin_ensure(stdout) -> None:
    """Create the first administrator on the first start; its password is printed this once."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return
    username = os.environ.get("LCM_ADMIN_USER") or "admin"
    password = os.environ.get("LCM_ADMIN_PASSWORD")
    User.objects.create_superuser(
        username=username, email="", password=password or (generated := secrets.token_urlsafe(12))
    )
    if password:
        stdout.write(f"Created the administrator '{username}' with the password from LCM_ADMIN_PASSWORD.")
    else:
        stdout.write(
            f"\n  Created the administrator '{username}' with the password: {generated}\n"
            "  It is shown only this once: note it now (or set LCM_ADMIN_PASSWORD before the first start).\n"
        )
    stdout.flush()  # into a log file at once, not when the server stops (stdout is block-buffered there)


class Command(BaseCommand):
    help = "Migrate, create the first administrator, then serve the app (gunicorn) and run a worker until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("LCM_BIND", "127.0.0.1:8000"), help="host:port (LCM_BIND)")
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("LCM_WEB_WORKERS", "2")))
        parser.add_argument(
            "--worker-concurrency", type=int, default=int(os.environ.get("LCM_WORKER_CONCURRENCY", "4"))
        )

    def handle(self, *args, bind, web_workers, worker_concurrency, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        admin_ensure(self.stdout)
        children = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "lifecycle.project.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(web_workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
            ],
            "worker": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lifecycle.project",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(worker_concurrency),
                "--hostname",
                "lcm@%h",
            ],
        }
        # Own sessions: Ctrl-C reaches only this process, which then stops both children in order.
        processes = {name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in children.items()}
        self.stdout.write(f"Serving on http://{bind}/ with a worker; data in {settings.DATA_DIR}. Ctrl-C stops both.")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exited = None
        while not stopping and exited is None:
            time.sleep(0.2)
            exited = next((name for name, p in processes.items() if p.poll() is not None), None)
        for p in processes.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in processes.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if exited and not stopping:
            raise CommandError(
                f"the {exited} process exited unexpectedly (code {processes[exited].returncode}); stopped the other"
            )
        self.stdout.write("Stopped the web server and the worker.")
