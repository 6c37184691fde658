"""HTTP side of the benchmark: gunicorn servers, logging in with the login form, and bounded wrk runs.

Everything here talks to 127.0.0.1 only, and every load run is bounded by wrk's fixed duration.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess  # nosec B404 - the benchmark starts gunicorn and wrk, with fixed argument lists
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    cookies: dict
    seconds: float


def request(port: int, method: str, path: str, *, form=None, cookies=None, timeout: float = 120) -> Response:
    """One request to 127.0.0.1:port; cookies are sent as given and the ones set are returned (Secure
    cookies included: this client is not a browser, and the benchmark runs over plain HTTP on loopback)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Host": HOST}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    set_cookies = {}
    for name, value in answer.getheaders():
        if name.lower() == "set-cookie":
            cookie_name, _, rest = value.partition("=")
            set_cookies[cookie_name.strip()] = rest.split(";", 1)[0]
    return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data, set_cookies, seconds)


def form_token(port: int, path: str, cookies=None) -> tuple[str, dict]:
    """(the form's CSRF token, the cookies after the GET, csrftoken included)."""
    page = request(port, "GET", path, cookies=cookies)
    match = TOKEN.search(page.body)
    if page.status != 200 or not match:
        raise RuntimeError(f"GET {path}: status {page.status}, no CSRF token in the form")
    return match.group(1).decode(), {**(cookies or {}), **page.cookies}


SECOND_FACTOR_PATH = "/login/second-factor/"


def login(port: int, username: str, password: str, *, second_factor=None) -> dict:
    """Post the login form once, then, for an account that needs a second factor, its code: `second_factor` is
    a function returning the code to type (called only then). Return the cookies (sessionid, csrftoken) to reuse
    for every request."""
    token, cookies = form_token(port, "/login/")
    answer = request(
        port,
        "POST",
        "/login/",
        form={"csrfmiddlewaretoken": token, "username": username, "password": password},
        cookies=cookies,
    )
    cookies = {**cookies, **answer.cookies}
    if answer.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login as {username}: status {answer.status}, no session cookie")
    if second_factor is not None:
        token, cookies = form_token(port, SECOND_FACTOR_PATH, cookies)
        answer = request(
            port,
            "POST",
            SECOND_FACTOR_PATH,
            form={"csrfmiddlewaretoken": token, "code": second_factor()},
            cookies=cookies,
        )
        cookies = {**cookies, **answer.cookies}
        if answer.status != 302:
            raise RuntimeError(f"login as {username}: the second factor answered {answer.status}, not a redirect")
    return cookies


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on {HOST}:{port} after {seconds} s")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


@dataclass
class Gunicorn:
    """gunicorn with 2 sync workers on 127.0.0.1:port, started and stopped by the benchmark (by its pid)."""

    app: str
    port: int
    env: dict
    log: Path
    workers: int = 2
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> "Gunicorn":
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken: set BENCH_PORT to a free one")
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            self.app,
            "-w",
            str(self.workers),
            "-b",
            f"{HOST}:{self.port}",
            "--error-logfile",
            str(self.log),
        ]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:  # the app's own log lines (stderr) go there too
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log
            )
        wait_for_port(self.port)
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.2)
        return self

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def pids(self) -> list[int]:
        return [self.process.pid, *self.worker_pids()] if self.process else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


# --- CPU accounting: where the machine's cores went during a run ----------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_pid(pids) -> dict:
    """{pid: CPU seconds used so far (user + system)} of the processes still alive."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return found


def cpu_delta(before: dict, after: dict) -> float:
    """CPU seconds used between two readings: a process that appeared meanwhile counts from zero; one that
    ended meanwhile is left out (PostgreSQL backends come and go with CONN_MAX_AGE), so never negative."""
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items())


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def other_pytest_processes() -> int:
    """How many processes of other people's test runs are alive (they share the machine's two cores)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"pytest" in command:
                count += 1
    return count


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat: the difference of two readings gives how many cores
    were busy meanwhile, whoever used them."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])
    return total - idle, total


def busy_cores(before, after) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return (os.cpu_count() or 1) * busy / total if total else 0.0


class Watch:
    """What else ran while something was measured: cores busy on the whole machine, and the most processes of
    other people's test runs seen at once (sampled at most every 2 s)."""

    def __init__(self):
        self.machine = machine_busy()
        self.pytest = other_pytest_processes()
        self.sampled = time.monotonic()

    def sample(self) -> None:
        if time.monotonic() - self.sampled >= 2:
            self.pytest = max(self.pytest, other_pytest_processes())
            self.sampled = time.monotonic()

    def result(self) -> dict:
        self.pytest = max(self.pytest, other_pytest_processes())
        return {"cpu_machine": busy_cores(self.machine, machine_busy()), "pytest_processes": self.pytest}


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# --- wrk ------------------------------------------------------------------------------------------------------------


def wrk(*, url: str, concurrency: int, seconds: int, script: str, script_args=(), headers=(), app_pids=()) -> dict:
    """One bounded wrk run (one thread, `concurrency` connections, fixed duration, 10 s request timeout).
    Returns the figures of its BENCH line plus requests/s, the load average before and after, and the CPU
    seconds the app's processes, PostgreSQL and wrk itself used meanwhile."""
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", str(WRK_DIR / script)]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *map(str, script_args)]
    load_before = load_average()
    pytest_before = other_pytest_processes()
    machine_before = machine_busy()
    app_before, pg_before = cpu_by_pid(app_pids), cpu_by_pid(postgres_pids())
    children_before = _children_cpu()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    out, err = process.communicate(timeout=seconds + 60)
    # wrk is reaped by now, so its CPU time is in this process's children's times.
    wrk_cpu = _children_cpu() - children_before
    wall = time.monotonic() - started
    machine_cores = busy_cores(machine_before, machine_busy())
    line = next((line for line in out.splitlines() if line.startswith("BENCH ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.strip() or out.strip()}")
    figures = json.loads(line[len("BENCH ") :])
    duration = figures["duration_us"] / 1e6
    errors = figures["connect"] + figures["read"] + figures["write"] + figures["timeout"] + figures["unexpected"]
    figures.update(
        rps=figures["requests"] / duration,
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
        load_before=load_before,
        load_after=load_average(),
        cpu_app=cpu_delta(app_before, cpu_by_pid(app_pids)) / wall,
        cpu_db=cpu_delta(pg_before, cpu_by_pid(postgres_pids())) / wall,
        cpu_wrk=wrk_cpu / wall,
        cpu_machine=machine_cores,
        pytest_processes=max(pytest_before, other_pytest_processes()),
        concurrency=concurrency,
    )
    settle(app_pids)
    return figures


def settle(pids, seconds: float = 10) -> None:
    """Wait until these processes are idle: after wrk stops, the server still works off the requests it had
    queued (a registration costs 0.2 s of CPU), which would otherwise land in the next measurement."""
    deadline = time.monotonic() + seconds
    last = cpu_by_pid(pids)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_by_pid(pids)
        if cpu_delta(last, now) < 0.02:
            return
        last = now


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system
