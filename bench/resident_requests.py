"""The residents' requests' stage of the benchmark (issue 21): a year of 民情日记 for the province, its figures, its
lists and its public form.

1. load `--requests` (default 1,000,000) requests received over the 365 days before now, round-robin over every
   community of the city the database holds, in one INSERT … SELECT: categories (consultation 35 %, help 30 %,
   suggestion 15 %, complaint 20 %), first responses (85 % within the limit, 3 % never), closings (resolved,
   answered, referred, duplicate; some late, some still open and overdue), waiting, reopenings, ratings; each in a
   building of its community (and that building's area) where the community has buildings, handled by one of the
   community's staff or grid workers;
2. time the district figures for the current year as the rates tab reads them (`selectors.figures` with
   `district=…`, by category, by community, and by handler for the district's busiest community), in-process,
   median over `--figure-rounds` — target < 100 ms each;
3. count the queries of the handler's list (`/requests/mine/`) and of a community's list (`/requests/staff/`) at
   that size, against the ceilings pinned in tests/resident_requests/test_pages.py;
4. raise requests over HTTP (gunicorn, wrk, bench/wrk/raise.lua): each POST of the public page carries a fresh
   phone and the code `communities.phone_codes.codes.code_send` made for it (read from the SMS gateway's boundary,
   the locmem backend, in this process), which the view checks as for any resident — target ≥ 50/s;
5. remove what it wrote (the loaded and the raised requests, their events, the codes of its phones).

What it writes is marked: every request's text is BENCH_TEXT, the loaded ones' tokens start with "bench-", the
phones start with 194 (no prefix of the demo city). The rows are removed at the end of a round and at the start of
the next (an interrupted one), not kept between runs: the load takes well under a minute, and the city stays the
one seed_demo built.

Run alone (PostgreSQL, a demo city, Redis for the production cache; Debian's wrk):
    DATABASE_URL=… CELERY_BROKER_URL=redis://… python -m bench.resident_requests --requests 100000
or as the `requests` operation of bench/run.py (`--ops requests`).
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_TEXT = "bench-requests 基准诉求"  # the text that marks the requests this stage writes
TOKEN_PREFIX = "bench-"  # noqa: S105 - marks the loaded rows, no secret  # nosec B105
PHONE_PREFIX = "194"  # not a prefix of the demo city's phones (communities/demo/codes.py), nor the registration's
FIGURES_MS, RAISES_PER_S = 100, 50
# The ceilings pinned in tests/resident_requests/test_pages.py.
LIST_CEILINGS = {"mine": 8, "queue": 8}


def _tables() -> dict:
    from services.council.models import Topic
    from services.requests.models import RequestEvent, ResidentRequest

    return {
        "request": ResidentRequest._meta.db_table,
        "event": RequestEvent._meta.db_table,
        "topic": Topic._meta.db_table,
        "topic_column": Topic._meta.get_field("resident_request").column,
    }


def load_requests(count: int) -> int:
    """`count` requests over the 365 days before now, round-robin over the communities (PostgreSQL)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.city import BENCH_PLACE_PREFIX
    from services.requests.conf import setting

    t = _tables()
    limits = setting("RESIDENT_REQUEST_LIMIT_DAYS")
    first_days = setting("RESIDENT_REQUEST_FIRST_RESPONSE_DAYS")
    now = timezone.now()
    # u(k): a uniform draw in [0, 1) for request g, the k-th of its draws (hashint8extended mixes g with k).
    u = "((hashint8extended(g, {k}) & 2147483647)::float8 / 2147483648.0)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH places AS (
                SELECT c.id AS community_id, row_number() OVER (ORDER BY c.id) - 1 AS n,
                    (SELECT array_agg(b.id ORDER BY b.id) FROM grid_building b JOIN grid_grid gr ON gr.id = b.grid_id
                     WHERE gr.community_id = c.id) AS buildings,
                    (SELECT array_agg(b.grid_id ORDER BY b.id) FROM grid_building b
                     JOIN grid_grid gr ON gr.id = b.grid_id WHERE gr.community_id = c.id) AS grids,
                    (SELECT array_agg(h.user_id ORDER BY h.user_id) FROM (
                        SELECT sa.user_id FROM communities_staffassignment sa WHERE sa.community_id = c.id
                        UNION SELECT gw.user_id FROM grid_gridworker gw JOIN grid_grid gr ON gr.id = gw.grid_id
                        WHERE gr.community_id = c.id) h) AS handlers
                FROM communities_community c WHERE c.code NOT LIKE %(bench_places)s
            ), total AS (SELECT count(*) AS c FROM places),
            drawn AS (
                SELECT g, p.*,
                    {u.format(k=1)} AS u_category, {u.format(k=2)} AS u_age, {u.format(k=3)} AS u_first,
                    {u.format(k=4)} AS u_state, {u.format(k=5)} AS u_close, {u.format(k=6)} AS u_rate,
                    {u.format(k=7)} AS u_pick
                FROM generate_series(0, %(count)s - 1) g CROSS JOIN total JOIN places p ON p.n = g %% total.c
            ),
            timed AS (
                SELECT d.*,
                    CASE WHEN u_category < 0.35 THEN 'consultation' WHEN u_category < 0.65 THEN 'help'
                         WHEN u_category < 0.80 THEN 'suggestion' ELSE 'complaint' END AS category,
                    %(now)s::timestamptz - u_age * interval '365 days' AS received_at
                FROM drawn d
            ),
            clocked AS (
                SELECT t.*,
                    received_at + LEAST(%(first_days)s, (%(limits)s::jsonb ->> category)::int) * interval '1 day'
                        AS first_due,
                    received_at + (%(limits)s::jsonb ->> category)::int * interval '1 day' AS resolution_due,
                    -- 85 %% within the limit (up to 20 hours), 12 %% late (1 to 3 days), 3 %% never.
                    CASE WHEN u_first < 0.85 THEN received_at + u_first / 0.85 * interval '20 hours'
                         WHEN u_first < 0.97 THEN received_at + interval '1 day' + (u_first - 0.85) * interval '16 days'
                    END AS responded
                FROM timed t
            ),
            closing AS (
                SELECT c.*,
                    -- Closed within 1.2 × its limit after the first response: about one in six late.
                    responded + u_close * 1.2 * (resolution_due - received_at) AS closed_at,
                    CASE WHEN responded IS NULL OR responded > %(now)s THEN 'received'
                         WHEN u_state < 0.03 THEN 'in_progress'
                         WHEN u_state < 0.05 THEN 'accepted'
                         WHEN u_state < 0.06 THEN 'waiting'
                         WHEN responded + u_close * 1.2 * (resolution_due - received_at) > %(now)s THEN 'in_progress'
                         WHEN u_state < 0.75 THEN 'resolved'
                         WHEN u_state < 0.90 THEN 'answered'
                         WHEN u_state < 0.95 THEN 'referred'
                         WHEN u_state < 0.97 THEN 'duplicate'
                         ELSE 'resolved' END AS state
                FROM clocked c
            )
            INSERT INTO {t["request"]} (community_id, grid_id, building_id, category, text, phone, channel,
                recorded_by_id, handler_id, state, token, received_at, first_response_due_at, resolution_due_at,
                first_responded_at, resolved_at, clock_stopped_at, reopened_count, satisfaction, need_id, rated_at,
                handler_kind, handler_body_id)
            SELECT community_id,
                grids[1 + (g / (SELECT c FROM total)) %% cardinality(grids)],
                buildings[1 + (g / (SELECT c FROM total)) %% cardinality(buildings)],
                category, %(text)s, %(phone_prefix)s || lpad((g %% 100000000)::text, 8, '0'),
                CASE WHEN u_pick < 0.80 THEN 'public' WHEN u_pick < 0.95 THEN 'building_head' ELSE 'staff' END,
                NULL,
                CASE WHEN state = 'received' THEN NULL
                     ELSE handlers[1 + (g / (SELECT c FROM total)) %% cardinality(handlers)] END,
                state, %(token_prefix)s || g, received_at, first_due, resolution_due,
                CASE WHEN state = 'received' THEN NULL ELSE responded END,
                CASE WHEN state IN ('resolved', 'answered', 'referred', 'duplicate') THEN closed_at END,
                CASE WHEN state = 'waiting' THEN responded + interval '1 hour' END,
                CASE WHEN state IN ('resolved', 'answered') AND u_pick < 0.02 THEN 1 ELSE 0 END,
                -- 60 %% of the residents answered rate it: 75 %% satisfied, 15 %% fairly, 10 %% unsatisfied.
                CASE WHEN state NOT IN ('resolved', 'answered') OR u_rate >= 0.60 THEN ''
                     WHEN u_rate < 0.45 THEN 'satisfied' WHEN u_rate < 0.54 THEN 'fairly' ELSE 'unsatisfied' END,
                NULL,
                CASE WHEN state IN ('resolved', 'answered') AND u_rate < 0.60
                     THEN LEAST(%(now)s::timestamptz, closed_at + interval '1 day') END,
                '', NULL  -- handled by a person, not a team or a company (services/requests/handler_kinds.py)
            FROM closing
            """,  # noqa: S608 - the table name comes from the model; every value is a parameter  # nosec B608
            {
                "bench_places": BENCH_PLACE_PREFIX + "%",
                "count": count,
                "now": now,
                "first_days": first_days,
                "limits": json.dumps(limits),
                "text": BENCH_TEXT,
                "phone_prefix": PHONE_PREFIX,
                "token_prefix": TOKEN_PREFIX,
            },
        )
        written = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {t['request']}")  # as after any bulk load (the demo city does the same)
    return written


def remove_requests() -> dict:
    """Take out what the stage wrote (loaded and raised requests, their events, its phones' codes)."""
    from django.db import connection, transaction

    from communities.phone_codes.models import PhoneCode

    t = _tables()
    mine = f"SELECT id FROM {t['request']} WHERE text = %s"  # noqa: S608  # nosec B608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {t['topic']} SET {t['topic_column']} = NULL WHERE {t['topic_column']} IN ({mine})",  # noqa: S608
            [BENCH_TEXT],
        )  # nosec B608
        cursor.execute(f"DELETE FROM {t['event']} WHERE request_id IN ({mine})", [BENCH_TEXT])  # noqa: S608  # nosec B608
        events = cursor.rowcount
        cursor.execute(f"DELETE FROM {t['request']} WHERE text = %s", [BENCH_TEXT])  # noqa: S608  # nosec B608
        requests = cursor.rowcount
        codes, _ = PhoneCode.objects.filter(phone__startswith=PHONE_PREFIX).delete()
    return {"requests": requests, "events": events, "codes": codes}


# --- The figures and the lists ----------------------------------------------------------------------------------


def _timed(function, rounds: int) -> tuple[float, list[float]]:
    function()  # warm: the first call plans and caches
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times


def time_figures(*, rounds: int, districts: int = 3) -> dict:
    """The rates tab's reads of a district for the current year, each timed alone (median over `rounds`), for the
    `districts` districts with the most requests."""
    from django.db.models import Count
    from django.utils import timezone

    from communities.models import District
    from services.requests import selectors
    from services.requests.models import ResidentRequest
    from services.requests.rates_tab import year_period

    now = timezone.now()
    start, end = year_period(now.year)
    busiest = (
        ResidentRequest.objects.values("community__district").annotate(n=Count("pk")).order_by("-n")[:districts]
    )
    found = []
    for row in busiest:
        district = District.objects.get(pk=row["community__district"])
        community_id = (
            ResidentRequest.objects.filter(community__district=district).values("community").annotate(n=Count("pk"))
            .order_by("-n").values_list("community", flat=True).first()
        )
        reads = {
            "total": lambda d=district: selectors.figures(start=start, end=end, now=now, district=d),
            "by_category": lambda d=district: selectors.figures_by_category(start=start, end=end, now=now, district=d),
            "by_community": lambda d=district: selectors.figures_by_community(
                start=start, end=end, now=now, district=d
            ),
            "by_handler": lambda c=community_id: selectors.figures_by_handler(
                start=start, end=end, now=now, community=c
            ),
        }
        medians = {name: round(_timed(read, rounds)[0], 1) for name, read in reads.items()}
        found.append({"district": district.name, "requests": row["n"], "median_ms": medians})
    return {"rounds": rounds, "year": now.year, "districts": found}


def list_queries() -> dict:
    """The handler's list and a community's list at this size: their queries, against the pinned ceilings."""
    from django.db.models import Count
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench.profiling import page_queries
    from communities import second_factor
    from registration.models import User
    from services.requests.models import ResidentRequest
    from services.requests.workflow import OPEN

    handler_id = (
        ResidentRequest.objects.filter(state__in=OPEN, handler__isnull=False).values("handler")
        .annotate(n=Count("pk")).order_by("-n").values_list("handler", flat=True).first()
    )
    pages = {"queue": (User.objects.get(username="community"), "/requests/staff/")}
    made_device = None
    if handler_id is not None:
        handler = User.objects.get(pk=handler_id)
        if second_factor.requires_second_factor(handler) and second_factor.confirmed_device(handler) is None:
            # The busiest handlers are staff, who must pass a second factor and never enrolled in the demo city:
            # without a device the page sends them to enrol (302). One for the measurement, removed after it.
            made_device = TOTPDevice.objects.create(user=handler, name="bench", confirmed=True)
        pages["mine"] = (handler, "/requests/mine/")
    found = {}
    try:
        for name, (user, path) in pages.items():
            figures = page_queries(user=user, path=path, explain=1)
            found[name] = {
                "path": path,
                "user": user.username,
                "status": figures["status"],
                "queries": figures["count"],
                "ceiling": LIST_CEILINGS[name],
                "sql_ms": figures["sql_ms"],
                "slowest": figures["plans"][0]["ms"] if figures["plans"] else None,
            }
    finally:
        if made_device is not None:
            made_device.delete()
    return found


# --- Raising over HTTP ------------------------------------------------------------------------------------------


def request_phone(n: int) -> str:
    return f"{PHONE_PREFIX}{n:08d}"


def raise_data(*, port: int, path: Path, pairs) -> Path:
    """The file raise.lua reads: line 1 the CSRF cookie, line 2 the fields that never change, then one request a
    line: its path (a community's public page, in turn over every 10th community) and its fields."""
    from bench import web
    from bench.city import BENCH_PLACE_PREFIX
    from communities.grid.models import Building
    from communities.models import Community

    communities = list(
        Community.objects.exclude(code__startswith=BENCH_PLACE_PREFIX).order_by("code").values_list("pk", "code")
    )[::10]
    buildings = dict(Building.objects.filter(grid__community_id__in=[pk for pk, _ in communities])
                     .order_by("grid__community_id", "-pk").values_list("grid__community_id", "pk"))
    token, cookies = web.form_token(port, f"/requests/c/{communities[0][1]}/")
    fixed = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "text": BENCH_TEXT})
    categories = ("consultation", "help", "suggestion", "complaint")
    lines = []
    for index, (phone, code) in enumerate(pairs):
        pk, community_code = communities[index % len(communities)]
        fields = {"category": categories[index % 4], "building": buildings.get(pk, ""), "phone": phone, "code": code}
        lines.append(f"/requests/c/{community_code}/ &{urllib.parse.urlencode(fields)}")
    path.write_text("\n".join([cookies["csrftoken"], fixed, *lines]) + "\n")
    return path


def raised_since(first: int) -> int:
    from services.requests.models import ResidentRequest

    return ResidentRequest.objects.filter(text=BENCH_TEXT, phone__gte=f"{PHONE_PREFIX}{first:08d}").exclude(
        token__startswith=TOKEN_PREFIX
    ).count()


def raise_round(*, port: int, env: dict, var: Path, concurrency: int, seconds: int, per_second: int,
                first: int) -> dict:
    """One bounded wrk run of the public page's POST against a gunicorn started for it (stopped by its pid)."""
    from bench import web
    from bench.phone_codes import make_codes
    from communities.phone_codes.codes import Purpose

    pairs = make_codes(count=per_second * seconds, first=first, purpose=Purpose.RESIDENT_REQUEST, phone=request_phone)
    server = web.Gunicorn("config.wsgi", port, env, var / "gunicorn-requests.log").start()
    try:
        data = raise_data(port=port, path=var / "raise-data.lst", pairs=pairs)
        figures = web.wrk(url=f"http://{web.HOST}:{port}/", concurrency=concurrency, seconds=seconds,
                          script="raise.lua", script_args=[data], app_pids=server.pids())
    finally:
        server.stop()
    figures.update(codes=len(pairs), raised=raised_since(first), first=first)
    if figures["requests"] > len(pairs):
        figures["note"] = f"ran out of codes: {figures['requests'] - len(pairs)} POSTs reused one (counted as errors)"
    return figures


# --- A round ----------------------------------------------------------------------------------------------------


def requests_round(*, requests: int, env: dict, var: Path, port: int, figure_rounds: int = 15,
                   raise_seconds: int = 10, raise_concurrency: int = 4, raise_per_second: int = 400) -> dict:
    """Load, time the figures, count the lists' queries, raise over HTTP, remove. Returns the figures.
    raise_per_second: the codes made before the run, per second of it — about twice the 212/s measured at
    1,000,000 members, so that no POST of the run reuses a code (it would fail, and count as an error)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench.resident_requests: PostgreSQL only (DATABASE_URL)")
    var.mkdir(parents=True, exist_ok=True)
    remove_requests()  # a round interrupted before
    started = time.perf_counter()
    written = load_requests(requests)
    load_seconds = time.perf_counter() - started
    print(f"bench.resident_requests: {written:,} requests loaded in {load_seconds:.1f} s", file=sys.stderr, flush=True)
    try:
        figures = time_figures(rounds=figure_rounds)
        lists = list_queries()
        raised = raise_round(port=port, env=env, var=var, concurrency=raise_concurrency, seconds=raise_seconds,
                             per_second=raise_per_second, first=0)
    finally:
        started = time.perf_counter()
        removed = remove_requests()
        remove_seconds = time.perf_counter() - started
    slowest = max((ms for row in figures["districts"] for ms in row["median_ms"].values()), default=0)
    return {
        "requests": written,
        "load_seconds": round(load_seconds, 1),
        "figures": figures,
        "figures_slowest_median_ms": slowest,
        "lists": lists,
        "raise": {key: raised[key] for key in ("rps", "p50_ms", "p99_ms", "errors", "requests", "created", "codes",
                                               "raised", "concurrency", "cpu_app", "cpu_db") if key in raised}
        | ({"note": raised["note"]} if "note" in raised else {}),
        "removed": removed,
        "remove_seconds": round(remove_seconds, 1),
        # The operation's own time in bench/run.py's table: the slowest median of the figures, in seconds.
        "seconds": round(slowest / 1000, 3),
    }


def summary(figures: dict) -> str:
    lists = "; ".join(f"{name} {row['queries']} queries (ceiling {row['ceiling']}), {row['sql_ms']} ms of SQL"
                      for name, row in figures["lists"].items())
    per_district = "; ".join(
        f"{row['district']} ({row['requests']:,}): " + ", ".join(f"{k} {v} ms" for k, v in row["median_ms"].items())
        for row in figures["figures"]["districts"]
    )
    raised = figures["raise"]
    return (
        f"requests: {figures['requests']:,} loaded in {figures['load_seconds']} s; district figures for "
        f"{figures['figures']['year']}, medians over {figures['figures']['rounds']}: {per_district} (slowest "
        f"{figures['figures_slowest_median_ms']} ms, target < {FIGURES_MS} ms); lists: {lists}; raising over HTTP "
        f"c={raised['concurrency']}: {raised['rps']:.1f}/s (target ≥ {RAISES_PER_S}/s), p99 {raised['p99_ms']:.0f} "
        f"ms, CPU per request app {raised['cpu_app'] * 1000 / raised['rps']:.1f} ms, PostgreSQL "
        f"{raised['cpu_db'] * 1000 / raised['rps']:.1f} ms, {raised['created']:,} answered with the tracking page, "
        f"{raised['raised']:,} saved, {raised['errors']} "
        f"errors{'; ' + raised['note'] if 'note' in raised else ''}; removed {figures['removed']} in "
        f"{figures['remove_seconds']} s"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests to load (a year of the city)")
    parser.add_argument("--figure-rounds", type=int, default=15)
    parser.add_argument("--duration", type=int, default=10, help="seconds of the wrk run raising requests")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8100)))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("BENCH_REDIS_DB", 5)))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from bench import run

    # gunicorn and this process share the production settings (and so the secret key the codes are hashed with).
    env = run.production_env(args)
    os.environ.update(env)
    import django

    django.setup()
    run.manage(env, "collectstatic", "--noinput", "-v0")
    figures = requests_round(requests=args.requests, env=env, var=run.VAR, port=args.port,
                             figure_rounds=args.figure_rounds, raise_seconds=args.duration,
                             raise_concurrency=args.concurrency)
    print(summary(figures))


if __name__ == "__main__":
    main()
