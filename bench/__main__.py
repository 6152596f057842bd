"""`make bench`: time from Register to SUCCESS against vcsim, engine overhead per action, the query
count of the task-detail poll, and deployments (bench/deploy.py). Runs on the embedded default (SQLite
+ file-system broker) in a throw-away data directory, or on whatever DATABASE_URL / CELERY_BROKER_URL
say. BENCH_ONLY=register or BENCH_ONLY=deploy runs one part."""

import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="lcm-bench-"))
os.environ.setdefault("LCM_DATA_DIR", str(DATA))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecycle.project.settings")
os.environ["LCM_QUEUE"] = f"lcm-bench-{os.getpid()}"
sys.path.insert(0, str(REPO))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

import bench.operations  # noqa: E402,F401  (the worker imports it too)
from bench import die_with_parent  # noqa: E402
from lifecycle.engine.models import Status, Task  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def vcsim_start(workdir: Path):
    from tests.vcsim import USERNAME, Vcsim, tls_files_create

    binary = Path(os.environ.get("VCSIM_BIN") or REPO / ".build" / "vcsim")
    if not binary.exists():
        subprocess.run(["bash", str(REPO / "tools" / "vcsim" / "build.sh"), str(binary)], check=True)
    tls = tls_files_create(workdir / "tls")
    simulator = Vcsim(
        binary=binary,
        workdir=workdir,
        tls=tls,
        new_tls=lambda: tls,
        username=USERNAME,
        password="bench-password",
        flags={},
    )
    simulator.start()
    return simulator


def worker_start() -> subprocess.Popen:
    log = open(DATA / "worker.log", "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lifecycle.project",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            "-I",
            "bench.operations",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    time.sleep(0.5)
    return process


def wait(task_id: int, timeout: float = 120) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = Task.objects.get(pk=task_id)
        if task.is_finished:
            return task
        time.sleep(0.01)
    raise SystemExit(f"task {task_id} did not finish in {timeout}s")


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, int(round(0.95 * len(values))) - 1)]
    return f"median {statistics.median(values):.3f} s, min {values[0]:.3f} s, p95 {p95:.3f} s (n={len(values)})"


def main() -> None:
    from django.contrib.auth import get_user_model

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    admin = get_user_model().objects.create_superuser("bench", password="bench-password-1")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    simulator = vcsim_start(DATA)
    only = os.environ.get("BENCH_ONLY", "")
    print(f"database {connection.vendor}, broker {os.environ.get('CELERY_BROKER_URL', 'filesystem://')}")
    try:
        if only != "deploy":
            register_bench(client, simulator)
        if only != "register":
            from bench import deploy

            deploy.run(simulator, DATA, wait)
    finally:
        simulator.stop()


def register_bench(client, simulator) -> None:
    worker = worker_start()
    try:
        spec = {
            "componentName": "",
            "fqdn": simulator.fqdn,
            "port": simulator.port,
            "username": simulator.username,
            "password": simulator.password,
            "content": {"certificate": {"thumbprint": simulator.certificate.thumbprint}},
        }
        register_page = reverse("datacenter-register")
        clicks, api_times, first = [], [], None
        for run in range(RUNS + 1):
            # The browser's way: click Register, follow the redirect, poll the timeline until htmx hears 286.
            started = time.monotonic()
            answer = client.post(
                register_page,
                {
                    "step": "register",
                    "action": "register",
                    "fqdn": simulator.fqdn,
                    "port": simulator.port,
                    "thumbprint": simulator.certificate.thumbprint,
                    "trust": "on",
                    "componentName": f"ui{run:03d}",
                    "username": simulator.username,
                    "password": simulator.password,
                },
            )
            assert answer.status_code == 302, answer.content[:2000]
            while client.get(answer["Location"], HTTP_HX_REQUEST="true").status_code != 286:
                time.sleep(0.05)  # the page polls every second; 50 ms here to measure the engine, not the poll
            elapsed = time.monotonic() - started
            task = Task.objects.order_by("-pk").first()
            assert task.status == Status.SUCCESS, task.message
            if run == 0:
                first = elapsed  # the worker's first task imports pyVmomi: reported apart
            else:
                clicks.append(elapsed)
            # The API's way, the same work.
            spec["componentName"] = f"api{run:03d}"
            started = time.monotonic()
            answer = client.post("/api/v1/datacenters", spec, content_type="application/json")
            assert answer.status_code == 202, answer.content
            task = wait(answer.json()["taskId"])
            assert task.status == Status.SUCCESS, task.message
            if run:
                api_times.append(time.monotonic() - started)
        print(
            f"register vCenter (vcsim) from clicking Register to the page showing SUCCESS: first {first:.3f} s; "
            f"then {summary(clicks)}"
        )
        print(f"register vCenter (vcsim) through the API, POST to SUCCESS in the database: {summary(api_times)}")
        actions = list(task.actions.order_by("position"))
        for action in actions:
            print(f"  {action.title}: {(action.finished_at - action.started_at).total_seconds() * 1000:.0f} ms")
        gaps = [(b.started_at - a.finished_at).total_seconds() for a, b in itertools.pairwise(actions)]
        print(f"  engine hand-over between actions: median {statistics.median(gaps) * 1000:.0f} ms")

        from lifecycle.engine.services import task_create

        started = time.monotonic()
        noop = task_create(
            operation="bench.noop", target_type="bench", target_name="noop", target_key="bench:noop", request={}
        )
        wait(noop.pk)
        elapsed = time.monotonic() - started
        print(f"engine: a task of 20 empty actions ran in {elapsed:.3f} s ({elapsed / 20 * 1000:.0f} ms per action)")

        for name, url, headers in _poll_urls(task.pk):
            with CaptureQueriesContext(connection) as queries:
                answer = client.get(url, **headers)
            print(f"poll {name}: HTTP {answer.status_code}, {len(queries)} queries")
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def _poll_urls(task_id: int):
    yield "API GET /api/v1/tasks/{id}", f"/api/v1/tasks/{task_id}", {}
    try:
        page = reverse("task-detail", args=[task_id])
    except NoReverseMatch:
        return
    yield "task page (full)", page, {}
    yield "task page htmx timeline poll", page, {"HTTP_HX_REQUEST": "true"}


if __name__ == "__main__":
    main()
