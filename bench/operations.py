"""Whole operations, timed end to end: the reminder sweep, the assessment run on a real Celery worker, a
100,000-row roster import, the Excel export of every community, the recount. (Django must be set up.)

Each operation runs as the project runs it (a management command in its own process, a Celery worker, a
request through gunicorn); this module starts them, times them, reads their peak memory and puts the
database back where an operation would otherwise leave the next round nothing to do.
"""

import datetime
import importlib.util
import io
import os
import signal
import subprocess  # nosec B404 - the benchmark runs the project's own commands with fixed argument lists
import sys
import time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from communities.models import Community, District, Notification, ReminderSent, Street, Unit
from registration.models import RosterEntry
from services.assessment.models import AssessmentRun

from . import web
from .city import BENCH_PLACE_PREFIX, BENCH_UNIT_PREFIX

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MANAGE = [PYTHON, str(ROOT / "manage.py")]


def run_timed(command, *, env, log: Path, timeout: float = 3600) -> dict:
    """Run a command to its end; wall seconds, exit code, CPU seconds and peak RSS of that process (its own
    rusage, from wait4). Output goes to `log`; the lines it wrote are returned too."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start_offset = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        watch = web.Watch()
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:  # bounded: a command that hangs is stopped
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            watch.sample()
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    with open(log, "rb") as written:
        written.seek(start_offset)
        output = written.read().decode(errors="replace")
    return {
        "seconds": seconds,
        "returncode": process.returncode,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "output": output,
        **watch.result(),
    }


def eager_env(env: dict) -> dict:
    """run_job runs a job in-process; without a broker every task it queues runs in-process too."""
    return {key: value for key, value in env.items() if key not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}


# --- The reminder sweep ---------------------------------------------------------------------------------------------


def _reminder_marks() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT coalesce(max(id), 0) FROM {Notification._meta.db_table}),"  # noqa: S608 - table names
            f" (SELECT coalesce(max(id), 0) FROM {ReminderSent._meta.db_table})"
        )
        return cursor.fetchone()


def _reminders_since(marks) -> dict:
    sent = ReminderSent.objects.filter(pk__gt=marks[1]).values_list("kind")
    counts = {}
    for (kind,) in sent.iterator(chunk_size=20000):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _undo_reminders(marks, kinds) -> None:
    """Delete the reminder keys and the messages this round created, so that the next round sends them all
    again (and the database is as it was). Only rows above the marks, and messages only of reminder kinds."""
    with transaction.atomic():
        Notification.objects.filter(pk__gt=marks[0], kind__in=list(kinds)).delete()
        ReminderSent.objects.filter(pk__gt=marks[1]).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Notification._meta.db_table}, {ReminderSent._meta.db_table}")


def reminder_sweep_round(*, env, log: Path, now: str | None = None, profile=None) -> dict:
    """`run_job reminders_sweep` over the whole city (every reminder due is sent), then the same sweep again
    (nothing left to send), then both undone, even when interrupted. `profile(command) -> command` wraps the
    first run in py-spy (and skips the repeat)."""
    marks = _reminder_marks()
    command = [*MANAGE, "run_job", "reminders_sweep", *(["--now", now] if now else [])]
    try:
        first = run_timed(profile(command) if profile else command, env=eager_env(env), log=log)
        first["sent"] = _reminders_since(marks)
        repeat = None
        if profile is None:
            repeat = run_timed(command, env=eager_env(env), log=log)
            repeat["sent"] = sum(_reminders_since(marks).values()) - sum(first["sent"].values())
    finally:
        kinds = ReminderSent.objects.filter(pk__gt=marks[1]).values_list("kind", flat=True).order_by().distinct()
        _undo_reminders(marks, set(kinds))
    return {"first": first, "repeat": repeat}


def first_monday_of_december(year: int) -> str:
    day = datetime.date(year, 12, 1)
    day += datetime.timedelta(days=(7 - day.weekday()) % 7)
    return f"{day.isoformat()}T09:00:00"


# --- The assessment on a real worker --------------------------------------------------------------------------------


class CeleryWorker:
    """celery -A config worker --concurrency 2 on the benchmark's own Redis database, started and stopped by
    its pid. Its pool processes are its children; their peak RSS is VmHWM in /proc."""

    def __init__(self, *, env, log: Path, name: str):
        self.env, self.log, self.name = env, log, name
        self.process = None

    def start(self, timeout: float = 90) -> "CeleryWorker":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")
        command = [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency",
            "2",
            "-l",
            "info",
            "-n",
            f"{self.name}@%h",
            "--logfile",
            str(self.log),
        ]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Celery worker did not start; see {self.log}")

    def peak_rss_mb(self) -> dict:
        """{pid: VmHWM in MB} of the main process and each pool process."""
        found = {}
        for pid in [self.process.pid, *web.children(self.process.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        found[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return found

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: the pool processes end with it
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _open_city_run(year: int):
    return AssessmentRun.objects.filter(kind=AssessmentRun.Kind.COMPUTE, year=year, district__isnull=True).exclude(
        status=AssessmentRun.Status.FINISHED
    )


def _wait_for_run(*, year: int, after_pk: int, timeout: float, watch=None) -> AssessmentRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = (
            AssessmentRun.objects.filter(
                kind=AssessmentRun.Kind.COMPUTE, year=year, district__isnull=True, pk__gt=after_pk
            )
            .order_by("pk")
            .first()
        )
        if run is not None and run.status in (AssessmentRun.Status.FINISHED, AssessmentRun.Status.FAILED):
            return run
        if watch is not None:
            watch.sample()
        time.sleep(0.25)
    raise RuntimeError(f"the assessment run of {year} did not finish within {timeout:.0f} s")


def assessment_round(*, env, log_dir: Path, year: int, round_number: int, timeout: float = 1800) -> dict:
    """A fresh worker, `run_job --enqueue assessment_run --year Y`, then the run's row polled until it is
    finished: wall time from the enqueue command's start, and the worker's peak memory per process."""
    worker = CeleryWorker(env=env, log=log_dir / f"celery-{round_number}.log", name=f"bench{round_number}")
    worker.start()
    try:
        purge = run_timed(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "purge", "-f"],
            env=env,
            log=log_dir / "celery-purge.log",
        )
        if purge["returncode"] != 0:
            raise RuntimeError("celery purge failed")
        unfinished = _open_city_run(year).first()
        if unfinished is not None:
            # A run left unfinished by an interrupted benchmark: starting the job again resumes it. Finish it
            # first (untimed), so that the timed run below is a whole one.
            run_timed(
                [*MANAGE, "run_job", "--enqueue", "assessment_run", "--year", str(year)],
                env=env,
                log=log_dir / "assessment.log",
            )
            _wait_for_run(year=year, after_pk=unfinished.pk - 1, timeout=timeout)
        last = AssessmentRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        watch = web.Watch()
        started = time.perf_counter()
        enqueue = run_timed(
            [*MANAGE, "run_job", "--enqueue", "assessment_run", "--year", str(year)],
            env=env,
            log=log_dir / "assessment.log",
        )
        if enqueue["returncode"] != 0:
            raise RuntimeError(f"run_job --enqueue assessment_run failed; see {log_dir / 'assessment.log'}")
        run = _wait_for_run(year=year, after_pk=last, timeout=timeout, watch=watch)
        wall = time.perf_counter() - started
        peaks = worker.peak_rss_mb()
    finally:
        worker.stop()
    return {
        "seconds": wall,
        "run_seconds": (run.finished_at - run.started_at).total_seconds() if run.finished_at else None,
        "status": run.status,
        "error": run.error,
        "chunks": f"{run.done}/{run.total}",
        "assessed": run.assessed,
        "rss_mb": max(peaks.values()),
        "rss_by_process_mb": sorted(peaks.values(), reverse=True),
        "enqueue_seconds": enqueue["seconds"],
        **watch.result(),
    }


# --- The roster import ----------------------------------------------------------------------------------------------

ROSTER_DISTRICT = f"{BENCH_PLACE_PREFIX}0001"
ROSTER_UNIT = f"{BENCH_UNIT_PREFIX}000001"
ROSTER_REGION = "388001"  # not a real region (no province 38), distinct from the registration benchmark's 389xxx


def roster_cleanup() -> None:
    """Delete the benchmark's roster unit, its entries and its places (their tallies go with them)."""
    units = list(Unit.objects.filter(code__startswith=BENCH_UNIT_PREFIX))
    with transaction.atomic():
        if units:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {RosterEntry._meta.db_table} WHERE unit_id = ANY(%s)",  # noqa: S608 - table name
                    [[unit.pk for unit in units]],
                )
            for unit in units:
                unit.delete()
        Community.objects.filter(code__startswith=BENCH_PLACE_PREFIX).delete()
        Street.objects.filter(code__startswith=BENCH_PLACE_PREFIX).delete()
        District.objects.filter(code__startswith=BENCH_PLACE_PREFIX).delete()


def roster_file(*, rows: int, path: Path) -> Path:
    """The .xlsx of `rows` valid, unique people that scripts/bench_roster_import.py writes (reused here),
    all expected in the benchmark's own community."""
    if path.exists():
        return path
    spec = importlib.util.spec_from_file_location("bench_roster_import", ROOT / "scripts" / "bench_roster_import.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    data = script.people(rows, region=ROSTER_REGION, community_code=f"{ROSTER_DISTRICT}001001", position="科员")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(script.xlsx_bytes(data))
    return path


def roster_round(*, env, log: Path, path: Path, rows: int) -> dict:
    """`manage.py roster_import --unit CODE FILE` into a fresh unit (every row new), then everything removed."""
    roster_cleanup()
    district = District.objects.create(code=ROSTER_DISTRICT, name="基准测试区")
    street = Street.objects.create(district=district, code=f"{ROSTER_DISTRICT}001", name="基准测试街道")
    Community.objects.create(street=street, code=f"{ROSTER_DISTRICT}001001", name="基准测试社区")
    unit = Unit.objects.create(code=ROSTER_UNIT, name="基准测试单位", party_organisation="中共基准测试单位委员会")
    try:
        result = run_timed([*MANAGE, "roster_import", "--unit", ROSTER_UNIT, str(path)], env=env, log=log)
        result["created"] = RosterEntry.objects.filter(unit=unit).count()
    finally:
        roster_cleanup()
    if result["returncode"] != 0 or result["created"] != rows:
        raise RuntimeError(f"roster import: exit {result['returncode']}, {result['created']} rows; see {log}")
    return result


# --- The Excel export of every community, through gunicorn ----------------------------------------------------------


def export_round(*, port: int, cookies: dict) -> dict:
    from openpyxl import load_workbook

    answer = web.request(port, "GET", "/admin/rates/communities.xlsx", cookies=cookies, timeout=300)
    if answer.status != 200:
        raise RuntimeError(f"export: status {answer.status}")
    sheet = load_workbook(io.BytesIO(answer.body), read_only=True).active
    data_rows = sum(1 for row in sheet.iter_rows(min_row=4, values_only=True) if row and row[3])
    return {"seconds": answer.seconds, "bytes": len(answer.body), "rows": data_rows}


# --- recount_rates --------------------------------------------------------------------------------------------------


def recount_round(*, env, log: Path) -> dict:
    result = run_timed([*MANAGE, "recount_rates"], env=env, log=log)
    lines = [line for line in result["output"].splitlines() if line.strip() and not line.startswith("$ ")]
    result["last_line"] = lines[-1] if lines else ""
    result["differences"] = max(0, len(lines) - 1) if result["returncode"] else 0
    return result


def this_year() -> int:
    return timezone.localdate().year


def python_executable() -> str:
    return sys.executable
