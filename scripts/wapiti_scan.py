# ruff: noqa: S603, S607, S310  (fixed commands and our own loopback URLs, no outside input)
"""A bounded wapiti scan of the app on loopback (issue 19): asserts no 500 and no finding above "low".

    python scripts/wapiti_scan.py [--crawl-time 60] [--attack-time 20] [--keep]     (make wapiti)

What it does, all in a temporary directory that is removed afterwards (--keep leaves it, with the report):
1. A production configuration (DEBUG off, random keys, secure cookies, HSTS) on a SQLite file of its own; migrate,
   collectstatic and a small demo city (seed_demo --members 300).
2. gunicorn on a free port of 127.0.0.1 (2 workers) over HTTPS with a throwaway self-signed certificate (so that the
   secure session and CSRF cookies work as in production), its access log kept.
3. wapiti (Debian's package) against it, logged out, then with a community staff session that passed the second
   factor (a session made here, its cookie handed to wapiti): a crawl of at most --crawl-time seconds, then every
   attack module, each cut off after --attack-time seconds (wapiti's own limit is looked at only between two
   attacked resources, so one large form could hold a module for minutes); one JSON report per process, merged.
4. Fails (exit 1) when the access log shows a 5xx, when wapiti reports an "Internal Server Error" anomaly, or any
   vulnerability above low (wapiti's levels: 0 info, 1 low, 2 medium, 3 high, 4 critical); prints what it found.
   One exception, checked rather than trusted: wapiti 3.0.4 does not know Django's CSRF token's name and reports
   every form as lacking one; such a report counts only if the form has no Django token or a POST with a wrong
   token is not refused (django_csrf_holds).
Nothing leaves the machine: the server listens on 127.0.0.1 and wapiti's scope is that URL.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("PYTHON", str(ROOT / ".venv" / "bin" / "python"))
if not Path(PYTHON).exists():
    PYTHON = sys.executable
LOW = 1
# Every attack module but the brute-force ones (nikto, buster, brute_login_form: hours, and lockouts) and wapp (a
# fingerprint database from the web), in groups that each run in a wapiti process of their own on the stored crawl:
# permanentxss needs xss's findings, so the two share a process.
MODULE_GROUPS = [
    ["backup"], ["blindsql"], ["cookieflags"], ["crlf"], ["csp"], ["csrf"], ["exec"], ["file"], ["htaccess"],
    ["http_headers"], ["methods"], ["redirect"], ["shellshock"], ["sql"], ["ssrf"], ["xss", "permanentxss"], ["xxe"],
]
MODULES = [module for group in MODULE_GROUPS for module in group]
LAUNCHED = re.compile(r"\[\*\] Launching module (\w+)")

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(work: Path) -> dict:
    from cryptography.fernet import Fernet

    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "CELERY_", "CACHE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "ID_NUMBER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ID_NUMBER_HASH_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "EMAIL_URL": "consolemail://",
            "DJANGO_LOG_FORMAT": "plain",
            # Wapiti sends thousands of requests from one address: the login limits would refuse most of them.
            "LOGIN_IP_FAILURE_LIMIT": "100000",
            "REGISTRATION_RATE_LIMIT": "0",
        }
    )
    return env


def manage(env, *args, **kwargs):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


STAFF_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import get_user_model
from communities import second_factor
user = get_user_model().objects.get(username="community")
device = second_factor.confirmed_device(user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session["staff_limits"] = False
second_factor.session_verify(session, device)
session.create()
print(session.session_key)
"""


def scan(*, url: str, work: Path, name: str, crawl_time: int, attack_time: int, cookie: str | None) -> dict:
    """Crawl for at most crawl_time seconds, then each group of modules in a process of its own, each module cut off
    after attack_time seconds; returns the union of the reports and the modules that were cut off."""
    session = work / f"session-{name}"
    common = [
        "wapiti", "-u", url, "--scope", "folder", "-f", "json", "--store-session", str(session),
        "--max-links-per-page", "40", "-d", "3", "-t", "10", "--no-bugreport", "-v", "0",
        # No -x for the logout form: Debian's wapiti 3.0.4 fails on any exclusion under Python 3.11 (its wildcard
        # pattern puts a global flag last). An attack that posts the logout form ends the staff scan's session; the
        # rest of that scan runs logged out.
    ]
    if cookie is not None:
        cookies = work / f"cookies-{name}.json"
        cookies.write_text(json.dumps({"127.0.0.1": {"/": {"sessionid": {"value": cookie, "version": 0,
                                                                          "expires": None, "secure": True,
                                                                          "port": None}}}}))
        common += ["-c", str(cookies)]
    union = {"vulnerabilities": {}, "anomalies": {}, "cut_off": []}
    for number, group in enumerate(MODULE_GROUPS):
        report = work / f"wapiti-{name}-{number:02}.json"
        if number == 0:
            # The first process crawls (wapiti itself stops the crawl at --max-scan-time), then attacks.
            command = common + ["--flush-session", "--max-scan-time", str(crawl_time)]
        else:
            command = common + ["--skip-crawl"]
        command += ["-m", ",".join(group), "-o", str(report)]
        log = work / f"wapiti-{name}-{number:02}.log"
        union["cut_off"] += run_bounded(command, log=log, attack_time=attack_time,
                                        bound=(crawl_time if number == 0 else 0) + len(group) * attack_time + 120)
        if report.exists():
            merge(union, json.loads(report.read_text()))
        elif number == len(MODULE_GROUPS) - 1:
            # An interrupt that landed after the last module's attack stops wapiti before its report. Each report
            # holds the whole session's findings: a process whose module has nothing left to attack writes it.
            run_bounded(common + ["--skip-crawl", "-m", ",".join(group), "-o", str(report)], log=log,
                        attack_time=attack_time, bound=attack_time + 120)
            merge(union, json.loads(report.read_text()))
    return union


def run_bounded(command: list[str], *, log: Path, attack_time: int, bound: int) -> list[str]:
    """Run one wapiti process; a module still attacking after attack_time seconds is moved past (wapiti's own answer
    "n" to an interrupt: next module, the report still written). Wapiti 3.0.4's --max-attack-time is looked at only
    between two attacked resources, and one form of twenty fields takes xss minutes. Returns the modules cut off."""
    # Wapiti fetches its fingerprint database from the web when it has none: through a proxy that does not exist, so
    # that nothing but the loopback server is ever reached. Unbuffered, so that the log shows each module's launch.
    env = {**os.environ, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "127.0.0.1",
           "NO_PROXY": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    cut_off = []
    started = time.monotonic()
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT, env=env)
        module, module_started = None, None
        while process.poll() is None:
            time.sleep(1)
            launched = LAUNCHED.findall(log.read_text(errors="replace"))
            if launched and launched[-1] != module:
                module, module_started = launched[-1], time.monotonic()
            if module is not None and module not in cut_off and time.monotonic() - module_started > attack_time:
                process.stdin.write(b"n\n")
                process.stdin.flush()
                process.send_signal(signal.SIGINT)
                cut_off.append(module)
            if time.monotonic() - started > bound:
                process.kill()
                process.wait()
                raise RuntimeError(f"wapiti outlived its bound of {bound} s: {' '.join(command)}")
    return cut_off


def merge(union: dict, report: dict) -> None:
    """Each report holds every finding stored in the session so far: keep each once."""
    for section in ("vulnerabilities", "anomalies"):
        for category, items in (report.get(section) or {}).items():
            kept = union[section].setdefault(category, [])
            for item in items:
                if item not in kept:
                    kept.append(item)


def django_csrf_holds(url: str, path: str, context) -> bool:
    """Wapiti 3.0.4 knows a list of token names that lacks Django's (csrfmiddlewaretoken), so it reports every Django
    form as lacking one. Checked here instead: the page's form carries Django's token, and a POST with a wrong token
    (the right cookie) is refused with 403."""
    import http.cookiejar
    import re
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=context)
    )
    try:
        page = opener.open(url.rstrip("/") + path, timeout=10).read().decode()
    except urllib.error.HTTPError:
        # A POST-only URL (logout): its form is on every page; the login page has one too.
        page = opener.open(url + "login/", timeout=10).read().decode()
    if not re.search(r'name="csrfmiddlewaretoken" value="[^"]{32,}"', page):
        return False
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": "wapiti" * 11}).encode()
    request = urllib.request.Request(url.rstrip("/") + path, data=body, headers={"Referer": url})
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code == 403
    return False


def problems_in(report: dict, name: str, *, url: str, context) -> list[str]:
    found = []
    for category, items in (report.get("vulnerabilities") or {}).items():
        for item in items:
            if category == "Cross Site Request Forgery" and django_csrf_holds(url, item.get("path", ""), context):
                continue
            if int(item.get("level", 0)) > LOW:
                found.append(f"{name}: {category} (level {item['level']}) {item.get('method')} {item.get('path')}: "
                             f"{item.get('info', '')[:200]}")
    for category, items in (report.get("anomalies") or {}).items():
        for item in items:
            if "Internal Server Error" in category or int(item.get("level", 0)) > LOW:
                found.append(f"{name}: anomaly {category} {item.get('method')} {item.get('path')}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawl-time", type=int, default=60, help="seconds of crawling per scan (default 60)")
    parser.add_argument("--attack-time", type=int, default=20,
                        help="seconds after which an attack module is cut off (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and its reports")
    options = parser.parse_args()
    if shutil.which("wapiti") is None:
        print("wapiti is not installed (apt-get install wapiti)", file=sys.stderr)
        return 2
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="wapiti-scan-"))
    env = environment(work)
    server = None
    try:
        manage(env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
        manage(env, "collectstatic", "--noinput", stdout=subprocess.DEVNULL)
        manage(env, "seed_demo", "--members", "300", stdout=subprocess.DEVNULL)
        # The session key is the last line: Django 5.2's shell announces its automatic imports first.
        made = manage(env, "shell", "-c", STAFF_SESSION, capture_output=True, text=True).stdout
        staff_cookie = made.strip().splitlines()[-1]
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port = free_port()
        access_log = work / "access.log"
        with open(work / "server.log", "w") as server_log:
            server = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                 "--timeout", "60", "--certfile", str(work / "cert.pem"), "--keyfile", str(work / "key.pem"),
                 "--access-logfile", str(access_log), "--error-logfile", str(work / "error.log")],
                cwd=ROOT, env=env, start_new_session=True, stdout=server_log, stderr=subprocess.STDOUT,
            )
        url = f"https://127.0.0.1:{port}/"
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # our own throwaway certificate
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "health/", timeout=2, context=insecure)  # noqa: S310  (loopback)
                break
            except OSError:
                time.sleep(0.3)
        found, cut_off = [], {}
        for name, cookie in (("anonymous", None), ("community-staff", staff_cookie)):
            report = scan(url=url, work=work, name=name, crawl_time=options.crawl_time,
                          attack_time=options.attack_time, cookie=cookie)
            found += problems_in(report, name, url=url, context=insecure)
            cut_off[name] = report["cut_off"]
        lines = access_log.read_text().splitlines() if access_log.exists() else []
        errors = [line for line in lines if _status(line) >= 500]
        found += [f"5xx: {line[:200]}" for line in errors[:20]]
        print(f"wapiti: {len(lines):,} requests in {time.monotonic() - started:.0f} s, "
              f"{len(errors)} server errors, {len(found)} problems")
        for name, modules in cut_off.items():
            print(f"  {name}: cut off after {options.attack_time} s: {', '.join(modules) or 'none'}")
        for problem in found:
            print("  " + problem)
        return 1 if found else 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if options.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _status(line: str) -> int:
    # gunicorn's default access log: ... "GET /path HTTP/1.1" 200 1234 "-" "agent"
    try:
        return int(line.split('" ', 1)[1].split(" ", 1)[0])
    except (IndexError, ValueError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
