"""The province-scale benchmark (issue 8): `make bench`, or `.venv/bin/python bench/run.py --help`.

Needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis), as `source .ci/services.sh` exports them, and
Debian's wrk. In order:

1. migrate and collectstatic (production settings need the static manifest);
2. reuse the demo city when it is the one `seed_demo --members N --seed S` builds (bench/city.py says how
   that is checked), build it when the database has none, refuse when it holds a different one (--rebuild);
3. serve the app with gunicorn (2 sync workers, DJANGO_DEBUG=false, production variables set here) and the
   trivial view (bench/ceiling_*.py: the project's settings, a template, no database) the same way;
4. load every page with wrk for a fixed time at each concurrency, logged in as the page's role, rounds
   interleaved; the registration POST registers a new member on every request (bench/wrk/register.lua), with
   the SMS code communities.phone_codes made for that member's phone before the run (read at the gateway's
   boundary, the locmem backend, in this process: bench/phone_codes.py), and SQL checks afterwards that no
   person was registered twice;
5. time whole operations: reminder sweep, assessment run on a Celery worker, roster import, Excel export of
   every community, recount_rates;
6. profile what misses its target (py-spy, EXPLAIN ANALYZE);
7. write docs/PERFORMANCE.md (the new run on top, earlier runs kept below) and var/bench/results-*.json.

Every request goes to 127.0.0.1, every load run lasts a fixed time, every process started is stopped by its
pid. The database grows by the members registered (phones 192xxxxxxxx); everything else the benchmark
writes (reminders, roster rows, its places and unit) is removed again.
"""

import argparse
import ast
import datetime
import json
import os
import platform
import secrets
import statistics
import subprocess  # nosec B404 - fixed argument lists: the project's commands, git, wrk
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Logs, raw figures and profiles: var/bench/ (git-ignored), no .py, .html or .txt among them, so that
# makemessages (which walks the whole tree) finds nothing there. BENCH_VAR keeps them in the working tree when
# the benchmark runs from an exported commit (--rev). Exported commits and the py-spy virtualenv live outside
# the tree (CACHE) for the same reason.
VAR = Path(os.environ.get("BENCH_VAR") or ROOT / "var" / "bench")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "party-bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEMO_PASSWORD = "Demo2026pass"  # noqa: S105 - the demo city's public password (docs/SEED.md)  # nosec B105
BENCH_PASSWORD = "Jizhun2026run"  # noqa: S105 - password of the members the benchmark registers  # nosec B105
BENCH_PHONE_PREFIX = "192"  # not a prefix of the demo city's phones (communities/demo/codes.py)

# --- Targets of issue 8 (on this 2-core machine) --------------------------------------------------------------------
PAGE_P99_MS = 100  # every member and staff page at concurrency 4
PAGE_SHARE = 0.10  # of the trivial view's requests/s, at concurrency 4
# Issue 17: the pages a poster's QR code brings a crowd to are served from the shared cache, at half the trivial
# view's throughput or more.
PUBLIC_PAGES, PUBLIC_PAGE_SHARE = frozenset({"front-door", "public-board"}), 0.50
RATES_MEDIAN_MS = 50  # city-level rate view, median server time (p50 at concurrency 1)
REGISTRATIONS_PER_S = 100
# The SMS codes made before a registration run, per second of it: twice the target, so that no POST of a run at the
# target runs out (one without a code is refused, and counts as an error).
REGISTRATION_CODES_PER_S = 2 * REGISTRATIONS_PER_S
SWEEP_S, ASSESSMENT_S, ASSESSMENT_MB, ROSTER_S, EXPORT_S = 120, 600, 500, 60, 5
LEDGER_CREDIT_S, LEDGER_RECONCILE_S = 120, 60  # issue 23: a million transfers credited, then proved
REQUEST_FIGURES_S = 0.1  # issue 21: a district's figures for a year of 1,000,000 requests (and ≥ 50 raised/s)


@dataclass(frozen=True)
class Target:
    slug: str
    label: str
    role: str | None  # demo login, or None for anonymous
    path: str
    kind: str = "page"  # "ceiling", "page", "register"


def shown(path: Path) -> str:
    """A path as the working tree sees it (var/bench/... when run from an exported commit too)."""
    for base in (ROOT, VAR.parent.parent):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


# --- Environment ----------------------------------------------------------------------------------------------------


def development_id_keys() -> tuple[str, str]:
    """The development ID-number keys the demo city was encrypted with, read from config/settings/base.py
    (they are the defaults only when DEBUG is on, so production mode must be given them explicitly)."""
    tree = ast.parse((ROOT / "config" / "settings" / "base.py").read_text())
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("_DEV_ID_ENCRYPTION_KEY", "_DEV_ID_HASH_KEY")
    }
    return values["_DEV_ID_ENCRYPTION_KEY"], values["_DEV_ID_HASH_KEY"]


def bench_broker(url: str, database: int) -> str:
    """The same Redis, another database number: other people's test workers use database 0, and a worker of
    theirs must never take one of the benchmark's tasks (or the other way round)."""
    parsed = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parsed._replace(path=f"/{database}"))


def production_env(args) -> dict:
    database_url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not broker.startswith("redis://"):
        raise SystemExit(
            "bench: DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis) must be set: run `make bench`, or "
            "`source .ci/services.sh` first."
        )
    encryption_key, hash_key = development_id_keys()
    env = dict(os.environ)
    env.pop("CELERY_RESULT_BACKEND", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-" + secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        ID_NUMBER_ENCRYPTION_KEYS=encryption_key,
        ID_NUMBER_HASH_KEY=hash_key,
        # Plain HTTP on loopback: no redirect to HTTPS, no HSTS. (The session and CSRF cookies stay marked
        # Secure: SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE follow DEBUG and have no variable. The
        # benchmark's clients send cookies themselves, so that does not stop them.)
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="0",
        # Every POST of the registration benchmark comes from 127.0.0.1: the per-IP limit on registrations
        # (REGISTRATION_RATE_LIMIT, 0 = none) would refuse all but the first few.
        REGISTRATION_RATE_LIMIT="0",
        RESIDENT_REQUEST_RATE_LIMIT_IP="0",  # the same for the public request page (bench/resident_requests.py)
        CELERY_BROKER_URL=bench_broker(broker, args.redis_db),
        # Shared by both gunicorn workers, as production sets it: it holds the sessions (cached_db).
        CACHE_URL=bench_broker(broker, args.redis_db + 1),
    )
    return env


def manage(env, *words, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *words], cwd=ROOT, env=env, check=check)  # noqa: S603


def command_output(*command) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False).stdout.strip()  # noqa: S603
    except OSError:
        return ""


def uptime() -> str:
    return command_output("uptime").strip()


def machine() -> dict:
    from django.db import connection

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    memory_kb = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    import django

    if os.environ.get("BENCH_COMMIT"):
        commit, dirty = os.environ["BENCH_COMMIT"], False
    else:
        commit = command_output("git", "rev-parse", "--short", "HEAD")
        dirty = bool(command_output("git", "status", "--porcelain", "--untracked-files=no"))
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": postgres.split()[0],
        "redis": command_output("redis-server", "--version").split(" v=")[-1].split()[0],
        "wrk": command_output("wrk", "-v").splitlines()[0].split()[1] if command_output("wrk", "-v") else "?",
        "gunicorn": command_output(str(ROOT / ".venv" / "bin" / "gunicorn"), "--version").split()[-1].strip("()"),
        "commit": commit + (" with uncommitted changes: the working tree was measured" if dirty else ""),
        "database_size": size,
    }


# --- The demo city --------------------------------------------------------------------------------------------------


def ensure_city(args, env) -> dict:
    from bench.city import city_status, demo_second_factors_ready

    status = city_status(members=args.members, seed=args.seed)
    if status.state == "same":
        log(f"demo city of {args.members:,} (seed {args.seed}) found: reused ({status.counts})")
        demo_second_factors_ready()
        return {"action": "reused", **status.counts}
    if status.state == "different" and args.any_city:
        log("measuring on the city the database holds (--any-city): " + "; ".join(status.reasons))
        demo_second_factors_ready()
        return {"action": "reused as it is (--any-city)", **status.counts}
    if status.state == "different" and not args.rebuild:
        raise SystemExit(
            "bench: the database holds a city that is not `seed_demo --members "
            f"{args.members} --seed {args.seed}`:\n  "
            + "\n  ".join(status.reasons)
            + "\nRun with --rebuild (make bench BENCH_ARGS=--rebuild) to rebuild it with seed_demo --reset."
        )
    words = ["seed_demo", "--members", str(args.members), "--seed", str(args.seed)]
    if status.state == "different":
        words.append("--reset")
    log(f"building the demo city: manage.py {' '.join(words)}")
    started = time.perf_counter()
    manage(env, *words)
    seconds = time.perf_counter() - started
    again = city_status(members=args.members, seed=args.seed)
    if again.state != "same":
        raise SystemExit("bench: the city just built does not match: " + "; ".join(again.reasons))
    return {"action": f"built in {seconds:.0f} s", **again.counts}


def page_targets() -> list[Target]:
    from bench.city import BENCH_PLACE_PREFIX
    from communities.models import Community, District

    community = Community.objects.exclude(code__startswith=BENCH_PLACE_PREFIX).order_by("code").first()
    district = District.objects.exclude(code__startswith=BENCH_PLACE_PREFIX).order_by("code").first()
    return [
        Target("trivial", "Trivial view (ceiling: template, no database)", None, "/", "ceiling"),
        Target("member-home", "Member home `/registration/me/`", "13800138000", "/registration/me/"),
        Target("needs-board", "Members' needs board `/needs/`", "13800138000", "/needs/"),
        Target("front-door", "Front door `/` (anonymous: find a community)", None, "/"),
        Target(
            "public-board", f"Public board of {community.name} `/c/<code>/board/`", None, f"/c/{community.code}/board/"
        ),
        Target(
            "report-queue",
            "Staff report queue `/registration/reports/` (community)",
            "community",
            "/registration/reports/",
        ),
        Target("rates-city", "Rates, city level `/admin/rates/` (org-city)", "org-city", "/admin/rates/"),
        Target(
            "rates-district",
            f"Rates, district drill-down ({district.name})",
            "org-city",
            f"/admin/rates/?district={district.pk}",
        ),
        Target("rates-units", "Rates, unit tab `/admin/rates/units/`", "org-city", "/admin/rates/units/"),
        Target(
            "register",
            "Registration POST `/registration/register/` (a new member each)",
            None,
            "/registration/register/",
            "register",
        ),
    ]


# --- Registration: the data file for wrk, and the checks afterwards -------------------------------------------------


def registration_phone(n: int) -> str:
    return f"{BENCH_PHONE_PREFIX}{n:08d}"  # as bench/wrk/register.lua makes it


def next_person() -> int:
    """Above every person an earlier run registered or made a code for (a phone with a fresh code gets no other
    one for a while: communities.phone_codes' limits)."""
    from communities.phone_codes.models import PhoneCode
    from registration.models import Member, User

    highest = [
        Member.objects.filter(phone__startswith=BENCH_PHONE_PREFIX)
        .order_by("-phone")
        .values_list("phone", flat=True)
        .first(),
        User.objects.filter(username__startswith=BENCH_PHONE_PREFIX, username__regex=r"^\d{11}$")
        .order_by("-username")
        .values_list("username", flat=True)
        .first(),
        PhoneCode.objects.filter(phone__startswith=BENCH_PHONE_PREFIX, phone__regex=r"^\d{11}$")
        .order_by("-phone")
        .values_list("phone", flat=True)
        .first(),
    ]
    return max((int(phone[3:]) + 1 for phone in highest if phone), default=0)


def registration_data(port: int, codes: list[str]) -> Path:
    """Line 1 the CSRF cookie, line 2 the fields that never change (form token included), then the places:
    every 20th community of the city with its street and district, and units under the city, in turn; an empty
    line, then `codes`: the SMS code of each person of the run, in order from its first."""
    from bench import web
    from bench.city import BENCH_PLACE_PREFIX, BENCH_UNIT_PREFIX
    from communities.models import Community, Unit

    token, cookies = web.form_token(port, "/registration/register/")
    fixed = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "name": "基准党员",
            "position": "科员",
            "specialty": "",
            "service_wishes": "",
            "home_address": "基准路1号",
            "kind": "residence",
            "password1": BENCH_PASSWORD,
            "password2": BENCH_PASSWORD,
            "consent": "on",
            "sensitive_consent": "on",
        }
    )
    places = list(
        Community.objects.exclude(code__startswith=BENCH_PLACE_PREFIX)
        .order_by("code")
        .values_list("pk", "street_id", "district_id")
    )[::20]
    units = list(
        Unit.objects.filter(district__isnull=True)
        .exclude(code__startswith=BENCH_UNIT_PREFIX)
        .order_by("code")
        .values_list("pk", flat=True)[:100]
    )
    lines = [
        "&"
        + urllib.parse.urlencode(
            {
                "unit_district": "city",
                "unit": units[index % len(units)],
                "district": district,
                "street": street,
                "community": community,
            }
        )
        for index, (community, street, district) in enumerate(places)
    ]
    path = VAR / "register-data.lst"
    path.write_text("\n".join([cookies["csrftoken"], fixed, *lines, "", *codes]) + "\n")
    return path


def registration_prepare(*, port: int, seconds: int) -> dict:
    """Before a registration run of `seconds`: the codes of the persons it can reach (REGISTRATION_CODES_PER_S),
    made by communities.phone_codes, and the data file register.lua reads them from."""
    from bench.phone_codes import make_codes
    from communities.phone_codes.codes import Purpose

    first = next_person()
    started = time.perf_counter()
    pairs = make_codes(count=REGISTRATION_CODES_PER_S * seconds, first=first, purpose=Purpose.REGISTER,
                       phone=registration_phone)
    log(f"registration: {len(pairs):,} SMS codes made for persons {first:,}… in {time.perf_counter() - started:.1f} s")
    return {"first": first, "codes": len(pairs), "data": registration_data(port, [code for _, code in pairs])}


def registration_run(*, port: int, concurrency: int, seconds: int, app_pids, prepared: dict | None = None) -> dict:
    """One wrk run of the registration POST (prepared here unless `prepared`): its figures with the members it
    created; a POST past the last code is an error, and noted."""
    from bench import web

    prepared = prepared or registration_prepare(port=port, seconds=seconds)
    figures = web.wrk(
        url=f"http://{web.HOST}:{port}/registration/register/",
        concurrency=concurrency,
        seconds=seconds,
        script="register.lua",
        script_args=[prepared["data"], prepared["first"]],
        app_pids=app_pids,
    )
    # sent: every POST wrk sent, answered or still in flight when it stopped (saved all the same).
    figures.update(first_person=prepared["first"], codes=prepared["codes"], sent=figures["next_n"] - prepared["first"],
                   members_created=registered_between(prepared["first"], figures["next_n"]))
    if figures["no_code"]:
        figures["note"] = f"ran out of codes: {figures['no_code']} POSTs had none (counted as errors)"
    return figures


def registered_between(first: int, after_last: int) -> int:
    from registration.models import Member

    return Member.objects.filter(
        phone__gte=f"{BENCH_PHONE_PREFIX}{first:08d}", phone__lt=f"{BENCH_PHONE_PREFIX}{after_last:08d}"
    ).count()


def duplicate_check() -> dict:
    """Over every member the benchmark ever registered: one member per ID number, phone and user, exactly one
    report each, no user without its member (a half-done registration)."""
    from django.db import connection

    like = BENCH_PHONE_PREFIX + "%"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT id_number_hash), count(DISTINCT phone), count(DISTINCT user_id) "
            "FROM registration_member WHERE phone LIKE %s",
            [like],
        )
        members, hashes, phones, users = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT m.id FROM registration_member m LEFT JOIN registration_report r "
            "ON r.member_id = m.id WHERE m.phone LIKE %s GROUP BY m.id HAVING count(r.id) <> 1) odd",
            [like],
        )
        not_one_report = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM registration_user u WHERE u.username LIKE %s AND NOT EXISTS "
            "(SELECT 1 FROM registration_member m WHERE m.user_id = u.id)",
            [like],
        )
        users_without_member = cursor.fetchone()[0]
    duplicates = (members - hashes) + (members - phones) + (members - users) + not_one_report + users_without_member
    return {
        "members": members,
        "distinct_id_numbers": hashes,
        "distinct_phones": phones,
        "distinct_users": users,
        "members_without_exactly_one_report": not_one_report,
        "users_without_member": users_without_member,
        "duplicates": duplicates,
    }


# --- The load runs --------------------------------------------------------------------------------------------------


def log_in(port: int, username: str) -> dict:
    """Log a demo login in through the login form, and through the second factor for the org department (the
    code computed from its demo device). Returns the session's cookies."""
    from bench import web
    from bench.city import second_factor_for

    return web.login(port, username, DEMO_PASSWORD, second_factor=second_factor_for(username))


def run_pages(args, env, results) -> None:
    from bench import web

    VAR.mkdir(parents=True, exist_ok=True)
    targets = [target for target in page_targets() if not args.pages or target.slug in args.pages]
    ceiling = web.Gunicorn("bench.ceiling_wsgi", args.ceiling_port, env, VAR / "gunicorn-ceiling.log")
    app = web.Gunicorn("config.wsgi", args.port, env, VAR / "gunicorn-app.log")
    results["targets"] = {target.slug: target.label for target in targets}
    web_results = results.setdefault("web", {})
    registration = results.setdefault("registration", {"runs": []})
    try:
        ceiling.start()
        app.start()
        log(f"gunicorn up: app on :{args.port}, trivial view on :{args.ceiling_port} (2 sync workers each)")
        sessions = {}
        for target in targets:
            if target.role and target.role not in sessions:
                sessions[target.role] = log_in(args.port, target.role)
        for target in targets:  # every page answers as expected before any load
            if target.kind == "register":
                continue
            server = ceiling if target.kind == "ceiling" else app
            answer = web.request(server.port, "GET", target.path, cookies=sessions.get(target.role))
            if answer.status != 200:
                raise SystemExit(f"bench: GET {target.path} as {target.role or 'anonymous'}: status {answer.status}")
        results["queries"] = rate_view_queries(targets)

        def once(target, concurrency, seconds):
            server = ceiling if target.kind == "ceiling" else app
            url = f"http://{web.HOST}:{server.port}{target.path}"
            if target.kind == "register":
                return registration_run(port=server.port, concurrency=concurrency, seconds=seconds,
                                        app_pids=server.pids())
            cookie = sessions.get(target.role)
            headers = [f"Cookie: sessionid={cookie['sessionid']}"] if cookie else []
            return web.wrk(
                url=url,
                concurrency=concurrency,
                seconds=seconds,
                script="page.lua",
                headers=headers,
                app_pids=server.pids(),
            )

        log(f"warming up each page for {args.warmup} s")
        for target in targets:
            once(target, 4, args.warmup)
        for round_number in range(1, args.rounds + 1):
            for target in targets:
                for concurrency in args.concurrency:
                    figures = once(target, concurrency, args.duration)
                    figures["round"] = round_number
                    figures["pytest_processes"] = web.other_pytest_processes()
                    web_results.setdefault(target.slug, {}).setdefault(str(concurrency), []).append(figures)
                    if target.kind == "register":
                        registration["runs"].append(figures)
                    log(
                        f"round {round_number} {target.slug:<15} c={concurrency:<3} {figures['rps']:8.1f} req/s  "
                        f"p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms  errors {figures['errors']}"
                        f"  load {figures['load_after']:.2f}"
                        + (f"  ({figures['note']})" if "note" in figures else "")
                    )
        if any(target.kind == "register" for target in targets):
            registration["check"] = duplicate_check()
            log(f"registration check: {registration['check']}")
        if args.profile:
            profile_pages(args, targets, app, sessions, results)
        if "export" in args.ops:
            results.setdefault("ops", {})["export"] = export_rounds(
                args, sessions.get("org-city") or log_in(args.port, "org-city")
            )
    finally:
        app.stop()
        ceiling.stop()


def rate_view_queries(targets) -> dict:
    """The rate views' queries counted in-process: how many, which tables, and whether any reads the member,
    roster or report tables (whose size grows with the members)."""
    from bench.profiling import page_queries
    from registration.models import User

    found = {}
    org = User.objects.get(username="org-city")
    for target in targets:
        if target.slug.startswith("rates-"):
            figures = page_queries(user=org, path=target.path, explain=0)
            figures["member_tables"] = [
                table
                for table in figures["tables"]
                if table in ("registration_member", "registration_rosterentry", "registration_report")
            ]
            found[target.slug] = figures
    return found


def export_rounds(args, cookies) -> list:
    from bench import operations, web

    runs = []
    for round_number in range(1, args.export_rounds + 1):
        watch, load_before = web.Watch(), web.load_average()
        figures = operations.export_round(port=args.port, cookies=cookies)
        figures.update(watch.result(), round=round_number, load_before=load_before, load_after=web.load_average())
        runs.append(figures)
        log(
            f"export round {round_number}: {figures['seconds']:.2f} s, {figures['rows']:,} rows, {figures['bytes']:,} B"
        )
    return runs


# --- Profiles of what missed ----------------------------------------------------------------------------------------


def page_misses(results) -> dict:
    """{slug: [reasons]} for every page that misses a target (see evaluate_page)."""
    return {slug: reasons for slug in results.get("web", {}) if (reasons := evaluate_page(results, slug)[1])}


def profile_pages(args, targets, app, sessions, results) -> None:
    from bench import profiling, web
    from registration.models import User

    misses = page_misses(results)
    if not misses or profiling.ensure_py_spy() is None:
        return
    profiles = results.setdefault("profiles", {})
    for target in targets:
        if target.slug not in misses:
            continue
        raw = VAR / f"profile-{target.slug}.raw"
        seconds = args.profile_seconds - 2
        # The codes are made before the profiler starts: it records the server, not this process's preparation.
        prepared = registration_prepare(port=args.port, seconds=seconds) if target.kind == "register" else None
        log(f"profiling {target.slug} at c=4 for {args.profile_seconds} s (py-spy on gunicorn's workers)")
        spy = subprocess.Popen(  # noqa: S603
            profiling.record_command(pid=app.process.pid, seconds=args.profile_seconds, output=raw),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)
        if target.kind == "register":
            figures = registration_run(port=args.port, concurrency=4, seconds=seconds, app_pids=app.pids(),
                                       prepared=prepared)
        else:
            cookie = sessions.get(target.role)
            figures = web.wrk(
                url=f"http://{web.HOST}:{args.port}{target.path}",
                concurrency=4,
                seconds=args.profile_seconds - 2,
                script="page.lua",
                headers=[f"Cookie: sessionid={cookie['sessionid']}"] if cookie else [],
                app_pids=app.pids(),
            )
        spy.wait(timeout=args.profile_seconds + 60)
        entry = {
            "raw": shown(raw),
            "under_profiler_rps": figures["rps"],
            "cpu": {"app": figures["cpu_app"], "db": figures["cpu_db"], "wrk": figures["cpu_wrk"]},
        }
        if raw.exists():
            entry.update(profiling.summarise(raw))
        if target.kind == "page":
            user = User.objects.get(username=target.role) if target.role else None
            if user is not None:
                entry["queries"] = profiling.page_queries(user=user, path=target.path)
        profiles[target.slug] = entry
    if "register" in misses:
        results.setdefault("registration", {})["check_after_profile"] = duplicate_check()


# --- Whole operations -----------------------------------------------------------------------------------------------


def run_operations(args, env, results) -> None:
    from bench import operations, profiling

    ops = results.setdefault("ops", {})
    logs = VAR / "logs"
    year = operations.this_year()

    def noted(name, figures):
        figures.update(load_before=noted.load, load_after=float(Path("/proc/loadavg").read_text().split()[0]))
        figures.pop("output", None)
        ops.setdefault(name, []).append(figures)

    def load_now():
        noted.load = float(Path("/proc/loadavg").read_text().split()[0])

    if "sweep" in args.ops:
        for round_number in range(1, args.op_rounds + 1):
            load_now()
            sweep = operations.reminder_sweep_round(env=env, log=logs / "sweep.log")
            sweep["first"]["round"] = round_number
            noted("sweep", sweep["first"])
            if sweep["repeat"]:
                sweep["repeat"]["round"] = round_number
                noted("sweep_repeat", sweep["repeat"])
            log(
                f"reminder sweep round {round_number}: {sweep['first']['seconds']:.1f} s "
                f"({sum(sweep['first']['sent'].values()):,} reminders), repeat "
                f"{sweep['repeat']['seconds']:.1f} s ({sweep['repeat']['sent']} more)"
            )
    if "december" in args.ops:
        december = operations.first_monday_of_december(year)
        for round_number in range(1, args.december_rounds + 1):
            load_now()
            sweep = operations.reminder_sweep_round(env=env, log=logs / "sweep-december.log", now=december)
            sweep["first"].update(round=round_number, now=december)
            noted("sweep_december", sweep["first"])
            if sweep["repeat"]:
                sweep["repeat"].update(round=round_number, now=december)
                noted("sweep_december_repeat", sweep["repeat"])
            log(
                f"December sweep ({december}) round {round_number}: {sweep['first']['seconds']:.1f} s "
                f"({sum(sweep['first']['sent'].values()):,} reminders)"
            )
    if "assessment" in args.ops:
        for round_number in range(1, args.op_rounds + 1):
            load_now()
            figures = operations.assessment_round(env=env, log_dir=logs, year=year, round_number=round_number)
            figures["round"] = round_number
            noted("assessment", figures)
            log(
                f"assessment round {round_number}: {figures['seconds']:.1f} s, {figures['chunks']} chunks, "
                f"{figures['assessed']:,} assessed, worker peak {figures['rss_by_process_mb']} MB"
            )
    if "roster" in args.ops:
        path = operations.roster_file(rows=args.roster_rows, path=VAR / f"roster-{args.roster_rows}.xlsx")
        for round_number in range(1, args.op_rounds + 1):
            load_now()
            figures = operations.roster_round(env=env, log=logs / "roster.log", path=path, rows=args.roster_rows)
            figures["round"] = round_number
            noted("roster", figures)
            log(
                f"roster import round {round_number}: {figures['seconds']:.1f} s, {figures['created']:,} rows, "
                f"peak {figures['rss_mb']:.0f} MB"
            )
    if "recount" in args.ops:
        for round_number in range(1, args.op_rounds + 1):
            load_now()
            figures = operations.recount_round(env=env, log=logs / "recount.log")
            figures["round"] = round_number
            noted("recount", figures)
            log(
                f"recount_rates round {round_number}: {figures['seconds']:.1f} s, exit {figures['returncode']}: "
                f"{figures['last_line']}"
            )
    if "ledger" in args.ops:
        from bench import ledger

        for round_number in range(1, args.op_rounds + 1):
            load_now()
            figures = ledger.ledger_round(records=args.ledger_records, env=env, python=PYTHON)
            figures["round"] = round_number
            noted("ledger", figures)
            noted("ledger_reconcile", {**figures, "seconds": figures["reconcile_seconds"]})
            log(
                f"ledger round {round_number}: {figures['transfers']:,} transfers credited in {figures['seconds']} s, "
                f"reconcile_ledger {figures['reconcile_seconds']} s (exit {figures['reconcile_exit']})"
            )
    if "activities" in args.ops:  # issue 20: a year of activities, a check-in burst, crediting (bench/activities.py)
        from bench import activities

        load_now()
        figures = activities.activities_round(env=env, port=args.port, weeks=args.activity_weeks, log=log)
        noted("activities_burst", {**figures["burst"], "year": figures["year"]})
        noted("activities_credit", figures["credit"])
        log(f"activities: {'; '.join(activities.verdicts(figures)) or 'every target met'}")
    if "requests" in args.ops:
        from bench import resident_requests

        for round_number in range(1, args.op_rounds + 1):
            load_now()
            figures = resident_requests.requests_round(requests=args.requests_count, env=env, var=VAR, port=args.port)
            figures["round"] = round_number
            noted("requests", figures)
            log(f"requests round {round_number}: {resident_requests.summary(figures)}")
    if args.profile and "sweep" in args.ops and ops.get("sweep"):
        if statistics.median(run["seconds"] for run in ops["sweep"]) >= SWEEP_S and profiling.ensure_py_spy():
            raw = VAR / "profile-sweep.raw"
            log("profiling one more reminder sweep (py-spy)")
            figures = operations.reminder_sweep_round(
                env=env, log=logs / "sweep.log", profile=lambda command: profiling.wrap_command(command, output=raw)
            )["first"]
            entry = {"raw": shown(raw), "under_profiler_seconds": figures["seconds"]}
            if raw.exists():
                entry.update(profiling.summarise(raw, top=12))
            results.setdefault("profiles", {})["sweep"] = entry
            results.setdefault("profile_labels", {})["sweep"] = "Reminder sweep, today (one more run, under py-spy)"


# --- Figures and marks ----------------------------------------------------------------------------------------------


def spread(values, digits=1) -> str:
    values = [value for value in values if value is not None]
    if not values:
        return "—"
    fmt = f"{{:,.{digits}f}}"
    median = fmt.format(statistics.median(values))
    if len(values) == 1:
        return median
    return f"{median} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def median_of(runs, key):
    return statistics.median(run[key] for run in runs) if runs else None


def evaluate_page(results, slug) -> tuple[list[str], list[str]]:
    """(targets that apply, the ones missed) for one page, from its medians over the rounds."""
    web_results = results.get("web", {})
    runs = web_results.get(slug, {})
    trivial = web_results.get("trivial", {})
    if slug == "trivial" or not runs:
        return [], []
    applies, missed = [], []
    if slug == "register":
        best = max(runs.values(), key=lambda rounds: median_of(rounds, "rps"))
        applies.append(f"≥ {REGISTRATIONS_PER_S}/s, no error, no duplicate")
        check = results.get("registration", {}).get("check", {})
        if median_of(best, "rps") < REGISTRATIONS_PER_S:
            missed.append("throughput")
        if any(run["errors"] for rounds in runs.values() for run in rounds):
            missed.append("errors")
        if check.get("duplicates"):
            missed.append("duplicates")
        return applies, missed
    c4 = runs.get("4", [])
    share = PUBLIC_PAGE_SHARE if slug in PUBLIC_PAGES else PAGE_SHARE
    if c4:
        applies.append(f"c=4: p99 < {PAGE_P99_MS} ms" + (f", ≥ {share:.0%} of trivial" if trivial.get("4") else ""))
        if median_of(c4, "p99_ms") >= PAGE_P99_MS:
            missed.append("p99")
        if trivial.get("4") and median_of(c4, "rps") < share * median_of(trivial["4"], "rps"):
            missed.append("throughput")
        if any(run["errors"] for run in c4):
            missed.append("errors")
    if slug == "rates-city" and runs.get("1"):
        applies.append(f"c=1: median < {RATES_MEDIAN_MS} ms")
        if median_of(runs["1"], "p50_ms") >= RATES_MEDIAN_MS:
            missed.append("server time")
        queries = results.get("queries", {}).get(slug, {})
        if queries.get("member_tables"):
            missed.append("queries read member tables")
    return applies, missed


def mark(missed) -> str:
    return "pass" if not missed else "**MISS** (" + ", ".join(missed) + ")"


def cpu_ms_per_request(runs, side: str) -> float:
    """Median over the rounds of one side's CPU milliseconds per answered request (cores busy / requests/s)."""
    return statistics.median(run[side] * 1000 / run["rps"] for run in runs if run["rps"])


def render(results) -> str:
    m = results["machine"]
    lines = [
        f"## Run of {results['started']} (machine clock, UTC)",
        "",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM; PostgreSQL {m['postgres']}, Redis "
        f"{m['redis']}, Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, wrk {m['wrk']}",
        f"- commit: {m['commit']}",
        f"- city: {results['city']['action']}; {results['city'].get('units', 0):,} units, "
        f"{results['city'].get('roster', 0):,} on rosters, {results['city'].get('members', 0):,} members at the "
        f"start (database {m['database_size']})",
        f"- load: `{results['uptime_start']}` at the start, `{results['uptime_end']}` at the end. "
        + load_note(results),
        f"- settings: {results['settings']}",
        "",
    ]
    web_results = results.get("web", {})
    if web_results:
        trivial = web_results.get("trivial", {})
        lines += [
            f"### Pages ({results['args']['rounds']} rounds × {results['args']['duration']} s per concurrency, "
            "wrk 1 thread; median (min–max) over the rounds)",
            "",
            "| page | c | requests/s | × trivial | p50 ms | p99 ms | errors | target | mark |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for slug, label in results["targets"].items():
            runs_by_c = web_results.get(slug, {})
            applies, missed = evaluate_page(results, slug)
            for concurrency, runs in runs_by_c.items():
                base = trivial.get(concurrency)
                ratio = f"{median_of(runs, 'rps') / median_of(base, 'rps'):.1%}" if base and slug != "trivial" else "—"
                target_here = _target_row(slug, concurrency, runs_by_c)
                lines.append(
                    f"| {label} | {concurrency} | {spread([r['rps'] for r in runs])} | {ratio} | "
                    f"{spread([r['p50_ms'] for r in runs])} | {spread([r['p99_ms'] for r in runs])} | "
                    f"{sum(r['errors'] for r in runs)} | {'; '.join(applies) if target_here else ''} | "
                    f"{mark(missed) if target_here else ''} |"
                )
        lines += [
            "",
            "Cores busy during the runs at c=4 (median over the rounds; the machine has "
            f"{m['nproc']}): app = gunicorn's processes, db = PostgreSQL's, wrk = the load generator, others = "
            "everything else on the machine (other people's test runs), from /proc. Per request: the CPU time "
            "of each side divided by the requests answered. The last column is what the page would cost the one "
            f"PostgreSQL when app servers are added (DESIGN: more gunicorn hosts, one database): {m['nproc']} "
            "cores of PostgreSQL divided by its CPU per request, an upper bound that ignores locks, disk and "
            "connection limits.",
            "",
            "| page | app | db | wrk | others | whole machine | others' pytest processes seen "
            "| app CPU ms/request | db CPU ms/request | one PostgreSQL of these cores: ≤ requests/s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for slug, label in results["targets"].items():
            runs = web_results.get(slug, {}).get("4", [])
            if runs:
                others = statistics.median(
                    max(0.0, run["cpu_machine"] - run["cpu_app"] - run["cpu_db"] - run["cpu_wrk"]) for run in runs
                )
                app_ms, db_ms = (cpu_ms_per_request(runs, side) for side in ("cpu_app", "cpu_db"))
                database_ceiling = f"{m['nproc'] * 1000 / db_ms:,.0f}" if db_ms >= 0.05 else "— (no database)"
                lines.append(
                    f"| {label} | {median_of(runs, 'cpu_app'):.2f} | {median_of(runs, 'cpu_db'):.2f} | "
                    f"{median_of(runs, 'cpu_wrk'):.2f} | {others:.2f} | {median_of(runs, 'cpu_machine'):.2f} | "
                    f"{max(run['pytest_processes'] for run in runs)} | {app_ms:.2f} | {db_ms:.2f} | "
                    f"{database_ceiling} |"
                )
        lines.append("")
    registration = results.get("registration", {})
    if registration.get("runs"):
        check = registration.get("check", {})
        created = sum(run["members_created"] for run in registration["runs"])
        answered = sum(run["created"] for run in registration["runs"])
        sent = sum(run.get("sent", 0) for run in registration["runs"])
        no_code = sum(run.get("no_code", 0) for run in registration["runs"])
        lines += [
            f"Registration: each run's SMS codes made before it by communities.phone_codes "
            f"({REGISTRATION_CODES_PER_S} per second of the run; {no_code:,} POSTs ran out of codes, counted as "
            f"errors). {sent:,} POSTs sent in the measured runs, {answered:,} of them answered with the letter (302) "
            f"(the others still in flight when wrk stopped, at most one per connection), {created:,} members "
            f"created by them. SQL over all {check.get('members', 0):,} members the "
            f"benchmark ever registered: "
            f"{check.get('distinct_id_numbers', 0):,} distinct ID numbers, {check.get('distinct_phones', 0):,} "
            f"distinct phones, {check.get('distinct_users', 0):,} distinct users, "
            f"{check.get('members_without_exactly_one_report', 0)} members without exactly one report, "
            f"{check.get('users_without_member', 0)} users without a member: **{check.get('duplicates', 0)} "
            f"duplicates**.",
            "",
        ]
    queries = results.get("queries", {})
    if queries:
        lines += ["Rate views, queries of one request (Django test client in-process, same database):", ""]
        for slug, figures in queries.items():
            member_tables = ", ".join(figures["member_tables"]) or "none"
            lines.append(
                f"- {results['targets'][slug]}: {figures['count']} queries, {figures['sql_ms']} ms of SQL; "
                f"member/roster/report tables read: {member_tables}"
            )
        lines.append("")
    lines += render_operations(results)
    lines += render_profiles(results)
    return "\n".join(lines) + "\n"


def _target_row(slug, concurrency, runs_by_c) -> bool:
    if slug == "trivial":
        return False
    if slug == "register":
        best = max(runs_by_c, key=lambda c: median_of(runs_by_c[c], "rps"))
        return concurrency == best
    return concurrency == "4" or (slug == "rates-city" and concurrency == "1")


def load_note(results) -> str:
    loads = [
        value
        for runs in results.get("web", {}).values()
        for rounds in runs.values()
        for run in rounds
        for value in (run["load_before"], run["load_after"])
    ]
    loads += [
        value
        for rounds in results.get("ops", {}).values()
        for run in rounds
        for value in (run.get("load_before"), run.get("load_after"))
        if value is not None
    ]
    every_run = [run for runs in results.get("web", {}).values() for rounds in runs.values() for run in rounds]
    every_run += [run for rounds in results.get("ops", {}).values() for run in rounds]
    pytest = max((run.get("pytest_processes", 0) for run in every_run), default=0)
    affected = sum(1 for run in every_run if run.get("pytest_processes"))
    note = f"1-minute load average during the runs: {min(loads):.2f}–{max(loads):.2f}" if loads else ""
    if pytest:
        note += (
            f"; other people's test runs (pytest) were running during {affected} of {len(every_run)} measurements "
            f"(up to {pytest} processes at once): those are not quiet-machine figures, hence min–max"
        )
    else:
        note += "; no other pytest process was seen during any measurement"
    note += ". The load generator and PostgreSQL share the same cores as gunicorn."
    return note


OPERATIONS = (
    ("sweep", "Reminder sweep, whole city (`run_job reminders_sweep`, in-process), today", SWEEP_S, None),
    ("sweep_repeat", "Same sweep again right after (nothing left to send)", None, None),
    (
        "sweep_december",
        "Reminder sweep on the first Monday of December (all five rules, shortfall included)",
        SWEEP_S,
        None,
    ),
    (
        "assessment",
        "`assessment_run` for the year, Celery worker (prefork, concurrency 2, Redis)",
        ASSESSMENT_S,
        ASSESSMENT_MB,
    ),
    ("roster", "Roster import, 100,000-row .xlsx into a fresh unit (`manage.py roster_import`)", ROSTER_S, None),
    ("export", "Excel export of all 10,000 communities (`/admin/rates/communities.xlsx` via gunicorn)", EXPORT_S, None),
    ("recount", "`manage.py recount_rates` (current year)", None, None),
    ("ledger", "Time bank: crediting a year of verified records (`credit_all`, in-process, chunked)", LEDGER_CREDIT_S,
     None),
    ("ledger_reconcile", "`manage.py reconcile_ledger` over the whole ledger", LEDGER_RECONCILE_S, None),
    ("activities_burst", "Activities: 500 members check in at c=16 (first to last scan; p99 < 200 ms in notes)", 60,
     None),
    ("activities_credit", "Activities: closing and crediting a 500-member activity (in-process)", 1, None),
    ("requests", "Residents' requests: district figures for the year, slowest median read (bench/resident_requests.py)",
     REQUEST_FIGURES_S, None),
)


def render_operations(results) -> list[str]:
    ops = results.get("ops", {})
    if not ops:
        return []
    lines = [
        "### Whole operations (wall seconds, median (min–max) over the rounds)",
        "",
        "| operation | rounds | seconds | peak RSS MB | target | mark | machine cores busy | others' pytest seen "
        "| notes |",
        "|---|---:|---:|---:|---|---|---:|---:|---|",
    ]
    for key, label, seconds_target, rss_target in OPERATIONS:
        runs = ops.get(key)
        if not runs:
            continue
        seconds = [run["seconds"] for run in runs]
        rss = [run.get("rss_mb") for run in runs if run.get("rss_mb") is not None]
        target, missed = [], []
        if seconds_target:
            target.append(f"< {seconds_target} s")
            if statistics.median(seconds) >= seconds_target:
                missed.append("time")
        if rss_target:
            target.append(f"worker < {rss_target} MB")
            if rss and max(rss) >= rss_target:
                missed.append("memory")
        notes = operation_notes(key, runs)
        lines.append(
            f"| {label} | {len(runs)} | {spread(seconds)} | {spread(rss, 0) if rss else '—'} | "
            f"{', '.join(target) or '—'} | {mark(missed) if target else '—'} | "
            f"{spread([run.get('cpu_machine') for run in runs], 2)} | "
            f"{max((run.get('pytest_processes', 0) for run in runs), default=0)} | {notes} |"
        )
    lines.append("")
    return lines


def operation_notes(key, runs) -> str:
    last = runs[-1]
    if key in ("sweep", "sweep_december"):
        sent = last.get("sent", {})
        return f"{sum(sent.values()):,} reminders a round: " + ", ".join(f"{k} {v:,}" for k, v in sorted(sent.items()))
    if key.endswith("_repeat"):
        return f"{last.get('sent', 0)} sent"
    if key == "assessment":
        return (
            f"{last['assessed']:,} assessed in {last['chunks']} chunks; run row started→finished "
            f"{spread([run['run_seconds'] for run in runs])} s; peak per process (MB) "
            + "; ".join("/".join(f"{value:.0f}" for value in run["rss_by_process_mb"]) for run in runs)
        )
    if key == "roster":
        cpu = spread([run["cpu_seconds"] for run in runs])
        return f"{last['created']:,} rows created each round, then removed; CPU {cpu} s"
    if key == "export":
        return f"{last['rows']:,} community rows, {last['bytes'] / 1024:,.0f} KB"
    if key == "recount":
        return f"exit {last['returncode']}: {last['last_line']}"
    if key == "ledger":
        return f"{last['transfers']:,} transfers ({last['records']:,} records), {last['transfers_per_s']:,}/s"
    if key == "ledger_reconcile":
        return f"exit {last['reconcile_exit']}"
    if key == "activities_burst":
        p99 = "met" if last["p99_ms"] < 200 else "**MISS**"
        return (f"p99 {last['p99_ms']:.0f} ms (target < 200: {p99}), {last['entries']} entries, "
                f"{last['members_exactly_once']}/{last['members']} exactly once, {last['errors']} errors")
    if key == "activities_credit":
        return f"{last['attended']} attended, {last['no_show']} no-shows, {last['credited']} credited"
    if key == "requests":
        from bench import resident_requests

        return resident_requests.summary(last)
    return ""


def render_profiles(results) -> list[str]:
    profiles = results.get("profiles", {})
    if not profiles:
        return []
    lines = ["### Profiles of what missed (py-spy, idle threads included, busy samples only)", ""]
    for slug, entry in profiles.items():
        label = results.get("profile_labels", {}).get(slug) or results.get("targets", {}).get(slug, slug)
        lines.append(f"**{label}** — raw stacks in `{entry['raw']}` (git-ignored)")
        if "under_profiler_rps" in entry:
            cpu = entry["cpu"]
            lines.append(
                f"- under the profiler: {entry['under_profiler_rps']:.1f} req/s at c=4; cores used: app "
                f"{cpu['app']:.2f}, PostgreSQL {cpu['db']:.2f}, wrk {cpu['wrk']:.2f}"
            )
        if "under_profiler_seconds" in entry:
            lines.append(f"- under the profiler: {entry['under_profiler_seconds']:.0f} s")
        if entry.get("landmarks"):
            lines.append("- share of samples: " + ", ".join(f"{label} {share}%" for label, share in entry["landmarks"]))
        if entry.get("project"):
            lines.append(
                "- project functions (inclusive): "
                + "; ".join(f"`{name}` {share}%" for name, share in entry["project"])
            )
        if entry.get("leaves"):
            lines.append("- leaf functions: " + "; ".join(f"`{name}` {share}%" for name, share in entry["leaves"]))
        queries = entry.get("queries")
        if queries:
            lines.append(f"- one request: {queries['count']} queries, {queries['sql_ms']} ms of SQL in all")
            for plan in queries["plans"]:
                timing = [row for row in plan["plan"] if "Execution Time" in row or "Planning Time" in row]
                lines.append(
                    f"  - slowest query {plan['ms']} ms: `{plan['sql'][:160]}…`; "
                    + ", ".join(row.strip() for row in timing)
                )
        lines.append("")
    return lines


BEGIN, END, EARLIER = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->", "<!-- bench:earlier -->"


def write_document(path: Path, block: str) -> None:
    """The new run between the markers; the run that was there moves down under "Earlier runs"."""
    if path.exists() and BEGIN in path.read_text():
        text = path.read_text()
        head, rest = text.split(BEGIN, 1)
        previous, tail = rest.split(END, 1)
        if previous.strip():
            demoted = previous.strip().replace("\n### ", "\n#### ").replace("## Run of", "### Run of", 1)
            tail = (
                tail.replace(EARLIER, f"{EARLIER}\n\n{demoted}\n", 1)
                if EARLIER in tail
                else (f"{tail}\n## Earlier runs\n\n{EARLIER}\n\n{demoted}\n")
            )
        path.write_text(f"{head}{BEGIN}\n{block}{END}{tail}")
        return
    path.write_text(
        "# Performance: the province-scale benchmark\n\n"
        "`make bench` (see the README, section Benchmark) writes each run here: the newest on top, earlier ones "
        'under "Earlier runs".\n\n'
        f"{BEGIN}\n{block}{END}\n\n## Earlier runs\n\n{EARLIER}\n"
    )


# --- Main -----------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000, help="size of the demo city (seed_demo --members)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the demo city (seed_demo --seed)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild a different city with seed_demo --reset")
    parser.add_argument(
        "--any-city",
        action="store_true",
        help="measure on whatever city the database holds (two commits compared on the same rows; no rebuild)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load per page before the rounds")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every page at every concurrency")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated concurrencies")
    parser.add_argument("--pages", default="", help="only these page slugs (comma-separated); default all")
    parser.add_argument(
        "--ops",
        default="sweep,december,assessment,roster,export,recount,ledger,activities,requests",
        help="operations to time (comma-separated; 'none' for none)",
    )
    parser.add_argument("--op-rounds", type=int, default=3, help="rounds of each whole operation")
    parser.add_argument("--december-rounds", type=int, default=1, help="rounds of the December sweep (long)")
    parser.add_argument("--export-rounds", type=int, default=5, help="rounds of the Excel export")
    parser.add_argument("--roster-rows", type=int, default=100_000)
    parser.add_argument("--ledger-records", type=int, default=500_000,
                        help="verified records the ledger stage credits (two transfers each: bench/ledger.py)")
    parser.add_argument("--activity-weeks", type=int, default=52, help="weeks of activities per community")
    parser.add_argument("--requests-count", type=int, default=1_000_000,
                        help="residents' requests the requests stage loads (a year: bench/resident_requests.py)")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip py-spy and EXPLAIN")
    parser.add_argument("--profile-seconds", type=int, default=12)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8100)))
    parser.add_argument("--ceiling-port", type=int, default=int(os.environ.get("BENCH_CEILING_PORT", 8101)))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("BENCH_REDIS_DB", 5)))
    parser.add_argument("--output", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--rev", default="", help="measure this commit (git archive) instead of the working tree")
    parser.add_argument("--no-write", dest="write", action="store_false", help="do not touch docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    args.concurrency = [int(value) for value in args.concurrency.split(",") if value]
    args.pages = [value for value in args.pages.split(",") if value]
    args.ops = [] if args.ops == "none" else [value for value in args.ops.split(",") if value]
    return args


def run_from_revision(args, argv) -> None:
    """Measure exactly one commit while the working tree is being edited: export it with `git archive` to
    var/bench/src-<sha>, put the working tree's bench/ in it (the commit may not have it), link .venv, and run
    this script from there. The database is the same; `migrate` then applies that commit's migrations."""
    import shutil

    sha = command_output("git", "rev-parse", "--verify", f"{args.rev}^{{commit}}")
    if not sha:
        raise SystemExit(f"bench: {args.rev!r} is not a commit")
    source = CACHE / f"src-{sha[:10]}"
    if not source.exists():
        partial = source.with_name(source.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)  # noqa: S603,S607
        subprocess.run(["tar", "-x", "-C", str(partial)], stdin=archive.stdout, check=True)  # noqa: S603,S607
        if archive.wait() != 0:
            raise SystemExit("bench: git archive failed")
        partial.rename(source)
    shutil.rmtree(source / "bench", ignore_errors=True)
    shutil.copytree(ROOT / "bench", source / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    if not (source / ".venv").exists():
        (source / ".venv").symlink_to(ROOT / ".venv")
    forwarded, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word == "--rev":
            skip = True
        elif not word.startswith("--rev="):
            forwarded.append(word)
    env = {
        **os.environ,
        "BENCH_VAR": str(VAR),
        "BENCH_COMMIT": f"{sha[:7]} (exported with git archive: exactly this commit, not the working tree)",
    }
    log(f"measuring commit {sha[:7]} from {source}")
    script = str(source / "bench" / "run.py")
    os.execve(PYTHON, [PYTHON, script, *forwarded, "--output", str(Path(args.output).resolve())], env)  # noqa: S606


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.rev:
        CACHE.mkdir(parents=True, exist_ok=True)
        run_from_revision(args, argv)
    # Celery's app (imported by config) puts the working directory on sys.path: make it this tree, so that
    # a run from an exported commit (--rev) never imports the working tree's modules.
    os.chdir(ROOT)
    env = production_env(args)
    os.environ.update(env)
    import django

    django.setup()
    VAR.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    results = {
        "started": f"{started:%Y-%m-%d %H:%M}",
        "args": {key: value for key, value in vars(args).items() if key not in ("output",)},
        "uptime_start": uptime(),
        "settings": (
            "DJANGO_DEBUG=false, DJANGO_ALLOWED_HOSTS=127.0.0.1, a random DJANGO_SECRET_KEY, the development "
            "ID_NUMBER_* keys the demo city was encrypted with, DJANGO_SECURE_SSL_REDIRECT=false, "
            f"DJANGO_SECURE_HSTS_SECONDS=0, REGISTRATION_RATE_LIMIT=0 and RESIDENT_REQUEST_RATE_LIMIT_IP=0 (all POSTs "
            "come from one address), "
            f"CONN_MAX_AGE default (60), Celery on Redis database {args.redis_db}, CACHE_URL on Redis database "
            f"{args.redis_db + 1} (sessions in cached_db)"
        ),
    }
    log(f"bench: {results['uptime_start']}")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    results["city"] = ensure_city(args, env)
    results["machine"] = machine()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    try:
        run_pages(args, env, results)
        run_operations(args, env, results)
    finally:
        results["uptime_end"] = uptime()
        from registration.models import Member

        results["members_at_end"] = Member.objects.count()
        (VAR / f"results-{stamp}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
        log(f"raw figures: {VAR / f'results-{stamp}.json'}")
    block = render(results)
    if args.write:
        write_document(Path(args.output), block)
        log(f"written: {args.output}")
    print(block)


if __name__ == "__main__":
    main()
