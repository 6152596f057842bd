"""An existing installation keeps its tasks across the split of lifecycle/ into project/ and engine/:
a database that the code before the split migrated and filled is migrated by today's code and its
tasks read back. Each side runs in a process of its own with its own settings, as an upgrade does."""

import json
import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
# The last commit with lifecycle/ as one package (its app "lifecycle", its tables lifecycle_*).
BEFORE_SPLIT = "506a97d"
# One key for both sides, as an upgrade keeps LCM_ENCRYPTION_KEY: the stored secrets must stay readable.
ENCRYPTION_KEY = Fernet.generate_key().decode()

CREATE_TASK = """
from lifecycle.models import Action, Status, Task
task = Task.objects.create(operation="datacenter.register", target_type="datacenter", target_name="vc01",
                           target_key="datacenter:vc01", request={"fqdn": "vc01.example.com", "password": "$encrypted$"},
                           request_secrets='{"password": "s3cret"}', status=Status.ERROR,
                           message="vCenter refused the login")
Action.objects.create(task=task, attempt=1, position=1, stage=1, name="connect", title="Connect",
                      status=Status.SUCCESS, progress=100, checkpoint=True)
Action.objects.create(task=task, attempt=1, position=2, stage=2, name="inventory_read", title="Read the inventory",
                      status=Status.ERROR, message="vCenter refused the login")
print(task.pk)
"""

READ_TASK = """
import json
from lifecycle.engine import selectors
task = selectors.task_get(task_id={task_id})
current, earlier = selectors.task_timeline(task)
print(json.dumps({{"table": task._meta.db_table, "operation": task.operation, "target": task.target_name,
                  "status": task.status, "restartable": task.is_restartable, "secrets": task.request_secrets,
                  "progress": selectors.task_progress(task),
                  "actions": [[a.position, a.name, a.status, a.message] for a in current]}}))
"""


def _tree_before_split(into: Path) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the code before the split cannot be read")
    known = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{BEFORE_SPLIT}^{{commit}}"], capture_output=True
    )
    if known.returncode != 0:
        pytest.skip(f"commit {BEFORE_SPLIT} is not in this clone (shallow?): the code before the split cannot be read")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", BEFORE_SPLIT], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _manage(tree: Path, database: Path, data: Path, *args: str) -> str:
    """`manage.py <args>` of that tree, with its own default settings, on that SQLite file."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "LCM_TEST_DIR", "CELERY_BROKER_URL", "LCM_QUEUE", "LCM_REPOSITORY_DIR")
    }
    env.update(
        PYTHONPATH=str(tree),
        DATABASE_URL=f"sqlite:///{database}",
        LCM_DATA_DIR=str(data),
        LCM_ENCRYPTION_KEY=ENCRYPTION_KEY,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"manage.py {args[0]} in {tree} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_database_made_before_the_split_is_migrated_and_its_tasks_read(tmp_path):
    old = _tree_before_split(tmp_path / "before-split")
    database = tmp_path / "lcm.sqlite3"
    _manage(old, database, tmp_path / "old-data", "migrate", "--no-input")
    task_id = int(_manage(old, database, tmp_path / "old-data", "shell", "-c", CREATE_TASK).split()[-1])

    _manage(REPO, database, tmp_path / "data", "migrate", "--no-input")
    plan = _manage(REPO, database, tmp_path / "data", "migrate", "--plan")
    assert "No planned migration operations." in plan
    read = json.loads(
        _manage(REPO, database, tmp_path / "data", "shell", "-c", READ_TASK.format(task_id=task_id)).splitlines()[-1]
    )

    assert read == {
        "table": "lifecycle_task",
        "operation": "datacenter.register",
        "target": "vc01",
        "status": "ERROR",
        "restartable": True,
        "secrets": '{"password": "s3cret"}',
        "progress": 50,
        "actions": [[1, "connect", "SUCCESS", ""], [2, "inventory_read", "ERROR", "vCenter refused the login"]],
    }
