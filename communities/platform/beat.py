"""The beat scheduler: django-celery-beat's database schedule (staff see and change it in the admin), with the
entries of every job the apps registered (communities.platform.jobs) written there when beat starts.

One beat at a time (issue 15): on PostgreSQL a beat runs the schedule only while it holds a session-level advisory
lock, on a connection of its own. A second beat started by mistake (or on purpose, on another host) waits as a
standby, trying the lock every STANDBY_SECONDS, and takes over when the first one's session ends (the process died,
its host was cut off): periodic tasks run once, not once per beat. On taking over it reads the schedule's last runs
from the database again. Elsewhere (SQLite, development) there is no lock: start one beat.
"""

import contextlib
import logging

from django.db import connections
from django_celery_beat.schedulers import DatabaseScheduler

from . import jobs

logger = logging.getLogger(__name__)

# pg_try_advisory_lock(int, int): the two keys name "this project's beat" among the advisory locks of the database.
LOCK_KEYS = (0x70617274, 0x62656174)  # "part", "beat"
STANDBY_SECONDS = 5.0


class BeatLock:
    """The advisory lock, held by a dedicated connection: Django's own connection is closed and reopened by Celery
    and CONN_MAX_AGE, which would release a session lock without a word."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.connection = None

    @staticmethod
    def supported(alias: str = "default") -> bool:
        return connections[alias].vendor == "postgresql"

    def _connect(self):
        wrapper = connections[self.alias]
        self.connection = wrapper.get_new_connection(wrapper.get_connection_params())
        self.connection.autocommit = True

    def _query(self, sql: str):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, LOCK_KEYS)
            return cursor.fetchone()[0]

    def held(self) -> bool:
        """Whether this process holds the lock now: also False when its connection was lost (the lock with it)."""
        if self.connection is None:
            return False
        try:
            return self._query(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND classid = %s::oid AND objid = %s::oid AND objsubid = 2 AND granted)"
            )
        except Exception:  # the database restarted or the connection dropped: the lock is gone
            self.release()
            return False

    def acquire(self) -> bool:
        try:
            if self.connection is None:
                self._connect()
            return bool(self._query("SELECT pg_try_advisory_lock(%s, %s)"))
        except Exception as error:  # database unreachable: stay a standby, try again at the next tick
            logger.warning("beat lock: database unavailable (%s)", error)
            self.release()
            return False

    def release(self) -> None:
        if self.connection is None:
            return
        # Unlocked at once: closing alone frees it only once the server has ended the session. A connection already
        # lost has lost the lock with it, and closing it twice is harmless.
        with contextlib.suppress(Exception):
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", LOCK_KEYS)
        with contextlib.suppress(Exception):
            self.connection.close()
        self.connection = None


class RegisteredJobsScheduler(DatabaseScheduler):
    lock = None

    def setup_schedule(self):
        self.app.conf.beat_schedule = {**jobs.beat_schedule(), **(self.app.conf.beat_schedule or {})}
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        if BeatLock.supported():
            if self.lock is None:
                self.lock = BeatLock()
            if not self.lock.held():
                if not self.lock.acquire():
                    return STANDBY_SECONDS
                logger.info("beat: holding the lock, running the schedule")
                # Another beat may have run entries since this one last read them: read their last runs again.
                self._initial_read = True
        return super().tick(*args, **kwargs)

    def close(self):
        if self.lock is not None:
            self.lock.release()
        super().close()
