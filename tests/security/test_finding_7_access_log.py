"""Issue 19, finding 7: search terms in access logs. gunicorn, started with the project's config (gunicorn.conf.py)
on a free loopback port, logs each request's path but never its query string, nor the Referer's: a phone typed into
the admin's autocomplete (`?term=`) or a changelist search (`?q=`) never reaches the access log."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # one request, one line: the login page a redirect leads to is not asked


def fetch(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (http on loopback, built here)
    try:
        # The worker imports Django after the port is open: the first answer may take a while on a busy machine.
        with urllib.request.build_opener(NoRedirect).open(request, timeout=90) as response:
            return response.status
    except urllib.error.HTTPError as error:  # a redirect to the login, a 404: logged all the same
        return error.code


@pytest.fixture
def gunicorn_log(tmp_path):
    """Start gunicorn as deployed (the project's config file, read from the working directory), yield its access
    log's path and base URL, stop it."""
    port = free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REQUIRE_SERVICES": "0",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--access-logfile", str(log), "--error-logfile", str(tmp_path / "error.log")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"gunicorn exited: {(tmp_path / 'error.log').read_text()}")
                time.sleep(0.1)
        yield log, base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_access_log_has_the_path_and_not_the_search_terms(gunicorn_log):
    log, base = gunicorn_log
    assert fetch(f"{base}/admin/autocomplete/?term={PHONE}&app_label=registration&model_name=member") == 302
    assert fetch(f"{base}/admin/registration/member/?q={ID_NUMBER}", Referer=f"{base}/admin/?q={PHONE}") == 302
    for _ in range(50):  # gunicorn writes the line after the response; give it a moment
        text = log.read_text() if log.exists() else ""
        if text.count("\n") >= 2:
            break
        time.sleep(0.1)
    lines = text.splitlines()
    assert len(lines) == 2, text
    assert '"GET /admin/autocomplete/ HTTP/1.1"' in lines[0]
    assert '"GET /admin/registration/member/ HTTP/1.1"' in lines[1] and f'"{base}/admin/"' in lines[1]
    assert PHONE not in text and ID_NUMBER not in text and "term=" not in text and "q=" not in text
