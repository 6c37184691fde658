"""Fault injection (issue 15): each row of the issue's table, repeated against a real prefork worker, Redis and
PostgreSQL, with the good outcome asserted. `make faults`; run by .ci/run after the test suites.

Everything runs on a PostgreSQL cluster and a Redis of its own (scripts/own_services.py, free ports), so restarting
and killing them disturbs nothing else. Prints a table of the figures (docs/RELIABILITY.md quotes one run) and exits
non-zero at the first outcome that is not the good one. About two minutes.

    .venv/bin/python scripts/faults.py [--keep]     # --keep: leave the cluster and logs in place to look at
"""

import argparse
import os
import subprocess  # nosec B404: the project's own commands
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.own_services import OwnPostgres, OwnRedis, Worker, free_port, migrate  # noqa: E402

RESULTS = []
GATEWAY_LOG_VARIABLE = "FAULTS_GATEWAY_LOG"


class FileGateway:
    """A stand-in SMS gateway shared by every process: each accepted message appends its idempotency key to a file
    (a line, written with O_APPEND: whole). A real gateway that takes keys drops a key it has seen; counting the
    keys seen twice tells what a gateway without keys would have delivered twice."""

    accepts_idempotency_key = True

    def send(self, phone, template, params, *, idempotency_key=""):
        time.sleep(float(os.environ.get("FAULTS_GATEWAY_DELAY", "0.005")))
        with open(os.environ[GATEWAY_LOG_VARIABLE], "a") as log:
            log.write(f"{idempotency_key}\n")


def gateway_keys(path: Path) -> Counter:
    return Counter(path.read_text().split()) if path.exists() else Counter()


def check(row: str, ok: bool, figures: str):
    RESULTS.append((row, "yes" if ok else "NO", figures))
    print(f"  {'ok' if ok else 'FAILED'}: {row}: {figures}", flush=True)
    if not ok:
        raise SystemExit(f"fault injection: the outcome of '{row}' is not the good one ({figures})")


def wait_for(condition, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, **kwargs)  # noqa: S603  # nosec B603


class Faults:
    def __init__(self, keep: bool):
        self.keep = keep
        self.pg = OwnPostgres().start()
        self.redis = OwnRedis().start()
        self.logs = Path(self.pg.dir)
        self.gateway_log = self.logs / "gateway.log"
        self.env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": self.pg.url,
            "CELERY_BROKER_URL": self.redis.url(0),
            "CELERY_RESULT_BACKEND": self.redis.url(1),
            "CACHE_URL": self.redis.url(2),
            "SMS_BACKEND": "scripts.faults.FileGateway",
            GATEWAY_LOG_VARIABLE: str(self.gateway_log),
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        os.environ.update(self.env)
        migrate(self.env)
        seeded = run([sys.executable, "manage.py", "seed_demo"], self.env)
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        import django

        django.setup()
        self.worker = None
        self.workers_started = 0

    def start_worker(self, **kwargs) -> Worker:
        self.workers_started += 1
        self.worker = Worker(self.env, log=self.logs / f"worker-{self.workers_started}.log", **kwargs).start()
        return self.worker

    def close(self):
        if self.worker is not None:
            self.worker.stop()
        if not self.keep:
            self.redis.stop()
            self.pg.stop()
        else:
            print(f"kept: PostgreSQL {self.pg.url} ({self.pg.dir}), Redis {self.redis.url()}")

    # --- helpers over the app's own models ------------------------------------------------------------------------

    def store_sms(self, count: int, tag: str) -> list[int]:
        """`count` SMS stored pending; their delivery not queued (the caller queues it, or loses it)."""
        from communities.models import Notification

        rows = [
            Notification(channel="sms", phone=f"139{n:08d}", kind=f"faults-{tag}", title="t", status="pending")
            for n in range(count)
        ]
        return [row.pk for row in Notification.objects.bulk_create(rows)]

    def queue_delivery(self, ids):
        from communities.notifications import DELIVERY_BATCH_SIZE
        from communities.tasks import deliver_notifications_task

        for start in range(0, len(ids), DELIVERY_BATCH_SIZE):
            deliver_notifications_task.delay(ids[start : start + DELIVERY_BATCH_SIZE])

    def statuses(self, ids) -> Counter:
        from communities.models import Notification

        return Counter(Notification.objects.filter(pk__in=ids).values_list("status", flat=True))

    def outbox_later(self) -> dict:
        """The outbox as beat runs it, 11 minutes on (what waited longer than NOTIFICATION_OUTBOX_AFTER_MINUTES)."""
        from django.db import close_old_connections
        from django.utils import timezone

        from communities.notifications import outbox_requeue

        close_old_connections()
        return outbox_requeue(now=timezone.now() + timedelta(minutes=11))

    def delivery_figures(self, ids, tag: str):
        keys = gateway_keys(self.gateway_log)
        mine = {f"notification-{pk}" for pk in ids}
        accepted = Counter({key: n for key, n in keys.items() if key in mine})
        twice = sum(1 for n in accepted.values() if n > 1)
        return len(accepted), twice, sum(accepted.values())

    # --- the rows of the table ------------------------------------------------------------------------------------

    def database_restart(self):
        from communities.platform import jobs
        from communities.tasks import reminders_sweep_task
        from config.celery import app

        worker = self.start_worker()
        first = reminders_sweep_task.delay().get(timeout=60)
        time.sleep(1)
        self.pg.restart()
        swept = reminders_sweep_task.delay().get(timeout=60)
        rules = app.AsyncResult
        outcomes = [rules(task_id).get(timeout=60, propagate=False) for task_id in swept.values()]
        states = Counter(rules(task_id).state for task_id in swept.values())
        failed_in_log = worker.log.read_text().count("InterfaceError")
        check(
            "PostgreSQL restarted (pg_ctl restart -m fast) under the worker",
            len(first) == len(jobs.reminder_rules())
            and states == Counter({"SUCCESS": len(swept)})
            and not failed_in_log,
            f"{states['SUCCESS']} of {len(swept)} reminder rules of the next sweep succeeded on the same worker, "
            f"{failed_in_log} InterfaceError ({len(outcomes)} results)",
        )

    def pool_process_killed(self):
        ids = self.store_sms(1000, "pool")
        self.queue_delivery(ids)
        wait_for(lambda: self.statuses(ids)["sent"] >= 150, 60, 0.05)
        self.worker.kill_pool_process()
        wait_for(lambda: self.statuses(ids)["pending"] == 0, 120)
        in_doubt = self.statuses(ids)["sending"]
        later = self.outbox_later()
        wait_for(lambda: self.statuses(ids)["sent"] == len(ids), 60)
        sent = self.statuses(ids)["sent"]
        accepted, twice, calls = self.delivery_figures(ids, "pool")
        check(
            "a pool process SIGKILLed during SMS delivery",
            sent == len(ids) and accepted == len(ids) and twice <= 1,
            f"{sent}/{len(ids)} sent; {in_doubt} left in doubt, taken up by the outbox ({later['queued']} queued); "
            f"gateway calls {calls}, keys twice {twice} (dropped by a gateway that takes keys)",
        )

    def worker_killed(self):
        ids = self.store_sms(1000, "worker")
        self.queue_delivery(ids)
        wait_for(lambda: self.statuses(ids)["sent"] >= 150, 60, 0.05)
        self.worker.kill()
        stranded = self.statuses(ids)
        self.start_worker()
        time.sleep(2)
        later = self.outbox_later()
        wait_for(lambda: self.statuses(ids)["sent"] == len(ids), 90)
        sent = self.statuses(ids)["sent"]
        accepted, twice, calls = self.delivery_figures(ids, "worker")
        check(
            "the whole worker SIGKILLed during SMS delivery",
            sent == len(ids) and accepted == len(ids) and twice <= 2,
            f"{sent}/{len(ids)} sent; at the kill {stranded['pending']} pending and {stranded['sending']} in doubt, "
            f"queued again by the outbox ({later['queued']}), not after the 70 min visibility timeout; "
            f"gateway calls {calls}, keys twice {twice}",
        )

    def redis_lost(self):
        from django.db import close_old_connections
        from django.utils import timezone

        from communities.models import Notification
        from communities.platform import watch
        from services.assessment.models import AssessmentRun
        from services.assessment.runs import assessment_run_start

        self.worker.stop()
        ids = self.store_sms(2000, "redis")
        self.queue_delivery(ids)
        run_ = assessment_run_start(year=timezone.localdate().year)
        run_.refresh_from_db()
        self.redis.restart()  # no persistence: every queued task is gone
        self.start_worker()
        time.sleep(2)
        lost = self.statuses(ids)["pending"]
        run_.refresh_from_db()
        stuck_before = (run_.status, run_.done, run_.total)

        # The assessment app registers its computing runs (services/assessment/tasks.py).
        assert "assessment" in {watched.name for watched in watch.registered()}
        close_old_connections()
        found = watch.check_stuck_runs(now=timezone.now() + timedelta(minutes=31))
        later = self.outbox_later()
        wait_for(lambda: self.statuses(ids)["sent"] == len(ids), 120)
        wait_for(lambda: AssessmentRun.objects.get(pk=run_.pk).status == "finished", 120)
        run_.refresh_from_db()
        told = Notification.objects.filter(kind="stuck:assessment", channel="inbox").count()
        sent = self.statuses(ids)["sent"]
        accepted, twice, calls = self.delivery_figures(ids, "redis")
        check(
            "Redis restarted without persistence with tasks queued",
            sent == len(ids)
            and twice == 0
            and found == [f"assessment:{run_.pk}"]
            and told >= 1
            and run_.status == "finished",
            f"{lost} SMS stranded pending, all {sent} sent by the outbox ({later['queued']} queued), "
            f"keys twice {twice}; "
            f"assessment run stuck at {stuck_before[1]}/{stuck_before[2]}: noticed, {told} administrator(s) told, "
            f"resumed, now {run_.status} {run_.done}/{run_.total}",
        )

    def redis_outage_under_load(self):
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.cached_db import SessionStore

        from registration.models import Member

        user = Member.objects.select_related("user").filter(user__is_active=True).first().user
        session = SessionStore()
        session.update(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        session.create()
        port = free_port()
        log = open(self.logs / "gunicorn.log", "ab")  # closed below
        web = subprocess.Popen(  # noqa: S603  # nosec B603
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/registration/me/"
        statuses, stop = Counter(), threading.Event()
        during = Counter()
        outage = threading.Event()

        def load():
            while not stop.is_set():
                request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session.session_key}"})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310: ours
                        code = response.status
                except urllib.error.HTTPError as error:
                    code = error.code
                except OSError:
                    code = "connection error"
                statuses[code] += 1
                if outage.is_set():
                    during[code] += 1

        try:
            wait_for(lambda: _answers(url), 30)
            threads = [threading.Thread(target=load) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(2)
            self.redis.kill()
            outage.set()
            time.sleep(5)
            outage.clear()
            self.redis.start()
            time.sleep(2)
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            web.terminate()
            web.wait(10)
            log.close()
        errors = sum(n for code, n in statuses.items() if code != 200)
        check(
            "Redis down for 5 s under load on a logged-in page",
            errors == 0 and during[200] > 0,
            f"{sum(statuses.values())} requests, {errors} not 200 ({dict(statuses)}); {during[200]} answered 200 "
            "while Redis was down",
        )

    def two_beats(self):
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        every, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.update_or_create(
            name="faults: every 2 s", defaults={"task": "communities.tasks.audit_purge_task", "interval": every}
        )
        beats = []
        for n in (1, 2):
            log = self.logs / f"beat-{n}.log"
            beats.append(
                (
                    subprocess.Popen(  # noqa: S603  # nosec B603
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "config",
                            "beat",
                            "-l",
                            "INFO",
                            "--max-interval",
                            "1",
                            "-s",
                            str(self.logs / f"beat-{n}.schedule"),
                        ],
                        cwd=ROOT,
                        env={**os.environ, **self.env},
                        stdout=open(log, "ab"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                    log,
                )
            )
            time.sleep(3)

        def purges():
            lines = self.worker.log.read_text().splitlines()
            return sum(1 for line in lines if "communities.tasks.audit_purge_task[" in line and "received" in line)

        start = purges()
        time.sleep(12)
        both = purges() - start
        beats[0][0].kill()  # the lock holder dies: the standby takes over within 5 s
        beats[0][0].wait()
        time.sleep(8)
        after = purges() - start - both
        for process, _log in beats[1:]:
            process.terminate()
            process.wait(10)
        PeriodicTask.objects.filter(name="faults: every 2 s").delete()
        check(
            "two celery beat processes",
            4 <= both <= 8 and after >= 1,
            f"an every-2-s entry ran {both} times in 12 s with two beats (once per beat would be about 12); after "
            f"the first beat was killed the standby ran it {after} times in the next 8 s",
        )

    def wrong_key(self):
        from cryptography.fernet import Fernet

        wrong = {**self.env, "ID_NUMBER_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
        checked = run([sys.executable, "manage.py", "check", "--database", "default"], wrong)
        web = run([sys.executable, "-c", "import config.wsgi"], wrong)
        worker = Worker(wrong, log=self.logs / "worker-wrong-key.log")
        try:
            worker.start()
            refused = False
        except RuntimeError as error:
            refused = "ID_NUMBER_ENCRYPTION_KEYS" in str(error)
        finally:
            worker.stop()
        check(
            "a wrong ID-number key",
            checked.returncode != 0
            and "ID_NUMBER_ENCRYPTION_KEYS" in checked.stderr + checked.stdout
            and web.returncode != 0
            and "ID_NUMBER_ENCRYPTION_KEYS" in web.stderr
            and refused,
            "check --database default fails (registration.E020), the web app and the worker refuse to start, each "
            "naming ID_NUMBER_ENCRYPTION_KEYS",
        )

    def restore_drill(self):
        self.worker.stop()
        self.worker = None
        from django.db import connections

        connections.close_all()
        drill = run(
            ["bash", "scripts/restore_drill.sh"], {**self.env, "DRILL_DESTROY_SOURCE": "1", "PYTHON": sys.executable}
        )
        last = (drill.stdout.strip().splitlines() or [""])[-1]
        check(
            "backup, destroy, restore",
            drill.returncode == 0 and last.startswith("DRILL PASSED"),
            last or drill.stderr[-500:],
        )


def _answers(url) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310  # nosec B310: our own server
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the cluster, Redis and the logs in place")
    args = parser.parse_args()
    started = time.monotonic()
    faults = Faults(args.keep)
    try:
        for step in (
            faults.database_restart,
            faults.pool_process_killed,
            faults.worker_killed,
            faults.redis_lost,
            faults.redis_outage_under_load,
            faults.two_beats,
            faults.wrong_key,
            faults.restore_drill,
        ):
            print(f"== {step.__name__} ({time.monotonic() - started:.0f} s)", flush=True)
            from django.db import close_old_connections

            close_old_connections()  # this process's own connection, after the previous step's faults
            step()
    finally:
        faults.close()
    print("\n| fault | good outcome | figures |\n|---|---|---|")
    for row, ok, figures in RESULTS:
        print(f"| {row} | {ok} | {figures} |")
    print(f"\nall {len(RESULTS)} faults handled in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
