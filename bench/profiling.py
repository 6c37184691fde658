"""What holds a missed target back: a py-spy profile of the serving processes (or of a command), and the
database's own account of a page's queries (EXPLAIN ANALYZE). (Django must be set up for the queries.)

py-spy comes from PyPI into its own virtualenv outside the working tree (~/.cache/party-bench/tools), not into
the project's.
"""

import collections
import os
import re
import subprocess  # nosec B404 - py-spy with fixed argument lists
import sys
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

TOOLS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "party-bench" / "tools"
PY_SPY = TOOLS / "bin" / "py-spy"

# Frames that mark where a request's time goes; a stack is counted once under each landmark it contains.
LANDMARKS = (
    ("waiting on PostgreSQL (cursor.execute)", re.compile(r"^CursorWrapper\._execute \(django/db/backends/utils")),
    ("template rendering", re.compile(r"^Template\.render \(django/template/base")),
    ("password hashing (Argon2id, PBKDF2)", re.compile(r"argon2/low_level|pbkdf2")),
    ("Excel writing (openpyxl)", re.compile(r"\(openpyxl/")),
    ("model instances built from rows", re.compile(r"^Model\.from_db ")),
    ("notification delivery run in-process (eager task)", re.compile(r"^deliver_notifications_task ")),
    ("storing a chunk's reminders (remind_many: keys + messages)", re.compile(r"^remind_many ")),
    ("session load/save", re.compile(r"\(django/contrib/sessions/")),
    ("Fernet (ID numbers)", re.compile(r"\(cryptography/")),
)
# Leaf frames of a process that waits for work, not for a request's sake.
IDLE = re.compile(
    r"^(SyncWorker\.wait|SyncWorker\.accept|Arbiter\.sleep|Arbiter\.wait_for_signals|select|poll|EpollSelector\.select|"
    r"sleep|Arbiter\.run)\b"
)
PROJECT = re.compile(r"\((communities|registration|services|config)/")


def ensure_py_spy() -> Path | None:
    if PY_SPY.exists():
        return PY_SPY
    try:
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)  # noqa: S603
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "--quiet", "py-spy"], check=True)  # noqa: S603
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"   py-spy could not be installed ({error}); profiles skipped", flush=True)
        return None
    return PY_SPY


def record_command(*, pid: int, seconds: int, output: Path) -> list[str]:
    """py-spy sampling a running process and its children (gunicorn's workers), idle threads included so
    that time spent waiting on PostgreSQL shows."""
    return [
        str(PY_SPY),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--idle",
        "--duration",
        str(seconds),
        "--rate",
        "100",
        "--format",
        "raw",
        "--output",
        str(output),
        "--nonblocking",
    ]


def wrap_command(command: list[str], *, output: Path) -> list[str]:
    """py-spy launching a command (a management command) and sampling it to its end."""
    return [
        str(PY_SPY),
        "record",
        "--idle",
        "--rate",
        "100",
        "--format",
        "raw",
        "--output",
        str(output),
        "--nonblocking",
        "--",
        *command,
    ]


def _clean(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def summarise(raw: Path, *, top: int = 8) -> dict:
    """From py-spy's collapsed stacks: the share of busy samples under each landmark, and the project
    functions and leaf functions with the largest shares."""
    inclusive, leaves, landmarks = collections.Counter(), collections.Counter(), collections.Counter()
    busy = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [
            _clean(frame)
            for frame in stack.split(";")
            if frame.strip() and not frame.startswith(("process ", "thread "))
        ]
        if not frames or IDLE.match(frames[-1]):
            continue
        samples = int(count)
        busy += samples
        leaves[frames[-1]] += samples
        for frame in set(frames):
            if PROJECT.search(frame):
                inclusive[frame] += samples
        for label, pattern in LANDMARKS:
            if any(pattern.search(frame) for frame in frames):
                landmarks[label] += samples
    if not busy:
        return {"busy_samples": 0}

    def share(counter):
        return [(name, round(100 * value / busy, 1)) for name, value in counter.most_common(top)]

    return {
        "busy_samples": busy,
        "landmarks": [
            (label, round(100 * landmarks[label] / busy, 1))
            for label, _ in LANDMARKS
            if landmarks[label] >= busy / 200  # 0.5 % or more
        ],
        "project": share(inclusive),
        "leaves": share(leaves),
    }


def page_queries(*, user, path: str, explain: int = 2) -> dict:
    """One request through Django's test client as `user`, its queries captured: how many, the tables they
    read, their total time, and EXPLAIN ANALYZE of the slowest SELECTs."""
    from communities import second_factor

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = second_factor.confirmed_device(user)
    if device is not None:  # force_login skips the password; the second factor is skipped the same way
        session = client.session
        second_factor.session_verify(session, device)
        session.save()
    try:
        client.get(path)  # warm: the first request of a process loads templates and translations
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
    finally:
        # A staff account keeps at most STAFF_MAX_SESSIONS sessions: a session left here would end the one the
        # load runs use (communities/sessions.py).
        client.logout()
    queries = [(float(query["time"]) * 1000, query["sql"]) for query in captured.captured_queries]
    tables = sorted({table for _, sql in queries for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)})
    plans = []
    for ms, sql in sorted(queries, reverse=True)[:explain]:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        plans.append({"ms": round(ms, 1), "sql": sql[:300], "plan": plan})
    return {
        "status": response.status_code,
        "count": len(queries),
        "sql_ms": round(sum(ms for ms, _ in queries), 1),
        "tables": tables,
        "plans": plans,
    }
