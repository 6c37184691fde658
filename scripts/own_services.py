"""Throw-away PostgreSQL, Redis and Celery worker processes that fault injection may restart and kill.

Used by scripts/faults.py and the worker tests: each instance has its own data directory and port, so restarting it
never disturbs the shared PostgreSQL (5432) and Redis (6379) that other test runs use.
"""

import os
import shutil
import signal
import socket
import subprocess  # nosec B404: starts local servers and workers with fixed argument lists
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's bin directory, or None when PostgreSQL is not installed."""
    base = Path("/usr/lib/postgresql")
    versions = (
        sorted(base.iterdir(), key=lambda path: [int(p) for p in path.name.split(".") if p.isdigit()])
        if (base.is_dir())
        else []
    )
    for version in reversed(versions):
        if (version / "bin" / "pg_ctl").exists():
            return version / "bin"
    return None


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run the command as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)  # noqa: S603  # nosec B603


class OwnPostgres:
    """A PostgreSQL cluster of its own in a temporary directory (fsync on, as in production)."""

    def __init__(self, port: int | None = None, user: str = "party", database: str = "party"):
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl)")
        self.port = port or free_port()
        self.user, self.database = user, database
        self.dir = Path(tempfile.mkdtemp(prefix="own-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _ctl(self, *args: str):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        return _run(
            _as_postgres(
                [
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.dir / "log"),
                    "-w",
                    *args,
                ]
            )
        )

    def start(self) -> "OwnPostgres":
        _run(
            _as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync"])
        )
        self._ctl("start")
        _run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database])
        return self

    def restart(self):
        """What the issue's table did: pg_ctl restart -m fast (every client connection is cut)."""
        self._ctl("restart", "-m", "fast")

    def stop(self):
        try:
            self._ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql: str) -> str:
        return _run(
            [
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                self.database,
                "-tAc",
                sql,
            ]
        ).stdout.strip()


class OwnRedis:
    """A Redis of its own, without persistence unless asked (as the issue's table ran it)."""

    def __init__(self, port: int | None = None, appendonly: bool = False):
        self.port = port or free_port()
        self.appendonly = appendonly
        self.dir = Path(tempfile.mkdtemp(prefix="own-redis-"))
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "OwnRedis":
        args = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603  # nosec B603
        for _ in range(100):
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self, down_seconds: float = 0):
        self.kill()
        time.sleep(down_seconds)
        self.start()

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    """`celery -A config worker` as production runs it (prefork), in its own process group."""

    def __init__(
        self,
        env: dict,
        *,
        concurrency: int = 2,
        queues: str = "celery",
        log: Path | None = None,
        beat: bool = False,
        extra: tuple = (),
    ):
        self.env = {**os.environ, **env}
        self.args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            str(concurrency),
            "-Q",
            queues,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
            *extra,
        ]
        if beat:
            self.args.append("-B")
        self.log = log or Path(tempfile.mkstemp(prefix="worker-", suffix=".log")[1])
        self.process = None

    def start(self) -> "Worker":
        self._log_file = open(self.log, "ab")  # closed in stop()
        self.process = subprocess.Popen(  # noqa: S603  # nosec B603
            self.args, cwd=ROOT, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b" ready." in self.log.read_bytes():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"the worker did not become ready: {self.log.read_text()[-2000:]}")

    def pool_pids(self) -> list[int]:
        out = _run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)]).stdout.split()
        return [int(pid) for pid in out]

    def kill_pool_process(self):
        """As the OOM killer or a hard time limit does: SIGKILL one pool process; the main process stays."""
        os.kill(self.pool_pids()[0], signal.SIGKILL)

    def kill(self):
        """The whole worker killed (SIGKILL to its process group): nothing acknowledged, nothing cleaned up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 30):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log_file", None):
            self._log_file.close()


def migrate(env: dict):
    _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env={**os.environ, **env})
