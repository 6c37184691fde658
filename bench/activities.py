"""The activities' stage of the benchmark (issue 20, "Scale and speed"): a year of activities, a check-in burst, the
crediting of a big activity.

1. `load_year`: a year of weekly activities (`--weeks`, default 52: the last 48 weeks and 4 to come) for every
   community of the city, each in its community's weekly series, with a realistic mix: past ones ended (a few
   cancelled), coming ones published, the last one a draft; sign-ups on each (about `--signups` a week, from the
   members confirmed there: on past ones attended, no-shows and cancellations, with the check-in and check-out of
   whoever attended); and a few teams per community with their members. Bulk INSERT … SELECT, PostgreSQL only.
   Removable, not idempotent: every row it writes is marked (BENCH_TEXT as description), `remove` takes them all
   out again, and a round always removes a previous round's rows before loading;
2. `burst`: BURST_MEMBERS members with a place on one activity of one community (members confirmed elsewhere are
   moved there for the stage, and moved back after) log in through the login form of the gunicorn started here,
   open the check-in page (its CSRF token), then scan at concurrency 16 with wrk (bench/wrk/checkin.lua): each POSTs
   the entry code of the window it is sent in (computed by services.activities.codes beforehand for every window
   the run can reach), every tenth scan followed by a repeat of an earlier member's. Target: p99 < 200 ms, all
   within 60 s; afterwards SQL proves each member's entry was recorded exactly once;
3. `credit`: close an activity of the same BURST_MEMBERS members whose scans were written by SQL (some no-shows,
   some present too briefly), through services.activities.services.activity_close, timed in-process: no-shows
   marked, hours credited by the rule, records written. Target < 1 s;
4. remove everything it wrote (the year, the teams, both activities and the records of the crediting) and move
   the members back.

Run alone (PostgreSQL, a database holding a demo city; production settings as bench/run.py sets them; a free
port for its gunicorn, BENCH_PORT or --port):
    DATABASE_URL=… CELERY_BROKER_URL=redis://… python -m bench.activities --weeks 12
    DATABASE_URL=… python -m bench.activities --remove       # take out what an interrupted run left
or as the `activities` operation of bench/run.py (`--ops activities`).
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_TEXT = "bench-activities"  # the description (and the team description) that marks this stage's rows
BURST_MEMBERS, BURST_CONCURRENCY, BURST_SECONDS, BURST_P99_MS = 500, 16, 60, 200
REPEAT_EVERY = 10  # every tenth scan is followed by a repeat of an earlier member's, sent on purpose
CREDIT_S = 1
TEAMS_PER_COMMUNITY, TEAM_MEMBERS = 3, 6
# The members moved to the burst's community, to be moved back (also by --remove after an interruption).
MOVED_FILE = Path(os.environ.get("BENCH_VAR") or ROOT / "var" / "bench") / "activities-moved.json"
LOGIN_THREADS = 4


def _tables() -> dict:
    from communities.models import Community
    from registration.models import Report, Skill
    from services.activities.models import Activity, ActivitySeries, CheckIn, SignUp
    from services.models import ServiceRecord
    from services.teams.models import Membership, Team

    models = {"community": Community, "activity": Activity, "series": ActivitySeries, "signup": SignUp,
              "checkin": CheckIn, "team": Team, "membership": Membership, "report": Report, "skill": Skill,
              "record": ServiceRecord}
    return {name: model._meta.db_table for name, model in models.items()}


def _run(cursor, sql: str, params=(), *, seconds: dict | None = None, name: str = "") -> int:
    """Execute; the rows it touched. With `seconds`, its wall time is added there under `name`."""
    started = time.perf_counter()
    cursor.execute(sql, params)
    if seconds is not None:
        seconds[name] = round(seconds.get(name, 0) + time.perf_counter() - started, 1)
    return cursor.rowcount


# --- 1. A year of activities, and teams ------------------------------------------------------------------------


def load_year(*, weeks: int = 52, ahead: int = 4, signups: int = 8) -> dict:
    """A weekly activity for every community over `weeks` weeks (`ahead` of them to come), with sign-ups and
    scans, and TEAMS_PER_COMMUNITY teams per community. Returns the rows written by table."""
    from django.db import connection, transaction
    from django.utils import timezone

    t = _tables()
    now = timezone.now()
    first = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0) - datetime.timedelta(
        weeks=weeks - ahead
    )
    spread = max(1, 2 * signups - 3)  # 2 + id % spread sign-ups: `signups` on average
    written, seconds = {}, {}
    with transaction.atomic(), connection.cursor() as cursor:

        def run(name, sql, params):
            return _run(cursor, sql, params, seconds=seconds, name=name)

        # Every community's weekly series, then its activities, one statement (a data-modifying WITH).
        written["activities"] = run("activities", f"""
            WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {t['community']}),
            s AS (INSERT INTO {t['series']} (community_id, frequency, occurrences, created_at)
                  SELECT id, 'weekly', %(weeks)s, %(first)s::timestamptz - interval '14 days' FROM c
                  RETURNING id, community_id)
            INSERT INTO {t['activity']} (community_id, title, description, post_type, place, starts_at, ends_at,
                places, signed_up_count, last_position, signup_deadline, cancel_cutoff, contact, status, series_id,
                created_by_id, created_at, published_at, closed_at)
            SELECT c.id, '相约民情日', %(text)s, 'convenience', '社区党群服务中心', x.starts_at,
                   x.starts_at + interval '3 hours', 10 + (c.n + w) %% 21, 0, 0, x.starts_at - interval '1 day',
                   x.starts_at - interval '1 day', '社区党委', x.status, s.id, NULL, %(first)s::timestamptz
                   - interval '14 days', CASE WHEN x.status <> 'draft' THEN x.starts_at - interval '10 days' END,
                   CASE WHEN x.status = 'ended' THEN x.starts_at + interval '4 hours' END
            FROM c JOIN s ON s.community_id = c.id CROSS JOIN generate_series(0, %(weeks)s - 1) w
            CROSS JOIN LATERAL (SELECT %(first)s::timestamptz + (w * 7 + c.n %% 7) * interval '1 day' AS starts_at) d
            CROSS JOIN LATERAL (SELECT d.starts_at, CASE
                WHEN d.starts_at + interval '3 hours' > %(now)s THEN
                    CASE WHEN w = %(weeks)s - 1 THEN 'draft' ELSE 'published' END
                WHEN (c.n * 7 + w) %% 25 = 0 THEN 'cancelled' ELSE 'ended' END AS status) x
            """,  # noqa: S608 - table names from the models; every value is a parameter  # nosec B608
            {"weeks": weeks, "first": first, "now": now, "text": BENCH_TEXT})
        # Sign-ups: member (5w + j) mod c of the c confirmed in the community, so never one twice per activity.
        # Past ones: 1 in 20 cancelled, 2 in 20 no-shows, the rest attended (seconds present by the rule's scans).
        written["signups"] = run("signups", f"""
            WITH m AS (SELECT community_id, member_id,
                              row_number() OVER (PARTITION BY community_id ORDER BY member_id) - 1 AS i,
                              count(*) OVER (PARTITION BY community_id) AS c
                       FROM {t['report']} WHERE status = 'confirmed'),
            a AS (SELECT id, community_id, starts_at, status, places,
                         row_number() OVER (PARTITION BY community_id ORDER BY starts_at) AS w
                  FROM {t['activity']} WHERE description = %(text)s AND status <> 'draft'),
            cc AS (SELECT community_id, max(c) AS c FROM m GROUP BY community_id)
            INSERT INTO {t['signup']} (activity_id, member_id, status, position, created_at, moved_up_at,
                                      cancelled_at, present_seconds, record_id)
            SELECT a.id, m.member_id, y.status, NULL, a.starts_at - interval '5 days', NULL,
                   CASE WHEN y.status = 'cancelled' THEN a.starts_at - interval '3 days' END,
                   CASE WHEN y.status = 'attended' THEN 10800 - (h %% 4) * 900
                        WHEN y.status = 'no_show' THEN 0 END, NULL
            FROM a JOIN cc ON cc.community_id = a.community_id
            CROSS JOIN LATERAL generate_series(0, LEAST(a.places, cc.c, 2 + a.id %% %(spread)s) - 1) j
            JOIN m ON m.community_id = a.community_id AND m.i = (a.w * 5 + j) %% cc.c
            CROSS JOIN LATERAL (SELECT a.id * 31 + j * 17 AS h) hh
            CROSS JOIN LATERAL (SELECT CASE WHEN a.status IN ('published', 'cancelled') THEN 'signed_up'
                                            WHEN h %% 20 = 0 THEN 'cancelled'
                                            WHEN h %% 20 < 3 THEN 'no_show' ELSE 'attended' END AS status) y
            """,  # noqa: S608  # nosec B608
            {"text": BENCH_TEXT, "spread": spread})
        run("signups", f"""
            UPDATE {t['activity']} a SET signed_up_count = s.n
            FROM (SELECT activity_id, count(*) AS n FROM {t['signup']}
                  WHERE status IN ('signed_up', 'attended', 'no_show') GROUP BY activity_id) s
            WHERE a.id = s.activity_id AND a.description = %s
            """, [BENCH_TEXT])  # noqa: S608  # nosec B608
        written["checkins"] = run("checkins", f"""
            INSERT INTO {t['checkin']} (activity_id, signup_id, member_id, kind, method, at, reason, recorded_by_id)
            SELECT s.activity_id, s.id, s.member_id, k.kind, 'code',
                   a.starts_at - (s.id %% 15) * interval '1 minute'
                   + CASE WHEN k.kind = 'exit' THEN s.present_seconds * interval '1 second' ELSE interval '0' END,
                   '', NULL
            FROM {t['signup']} s JOIN {t['activity']} a ON a.id = s.activity_id
            CROSS JOIN (VALUES ('entry'), ('exit')) k(kind)
            WHERE a.description = %s AND s.status = 'attended'
            """, [BENCH_TEXT])  # noqa: S608  # nosec B608
        # Teams: the first TEAMS_PER_COMMUNITY members confirmed in each community lead one each, with the
        # next members of the community as its members (the leader is one of them).
        written["teams"] = run("teams", f"""
            WITH m AS (SELECT community_id, member_id,
                              row_number() OVER (PARTITION BY community_id ORDER BY member_id) - 1 AS i
                       FROM {t['report']} WHERE status = 'confirmed'),
            sk AS (SELECT array_agg(id ORDER BY id) AS ids FROM {t['skill']})
            INSERT INTO {t['team']} (community_id, name, speciality_id, leader_id, description, is_open,
                                    created_by_id, created_at)
            SELECT m.community_id, '志愿服务' || (m.i + 1) || '队（基准）',
                   sk.ids[1 + m.member_id %% cardinality(sk.ids)], m.member_id, %(text)s, m.i %% 2 = 0, NULL, %(now)s
            FROM m CROSS JOIN sk WHERE m.i < %(teams)s AND cardinality(sk.ids) > 0
            """,  # noqa: S608  # nosec B608
            {"text": BENCH_TEXT, "now": now, "teams": TEAMS_PER_COMMUNITY})
        written["memberships"] = run("memberships", f"""
            WITH m AS (SELECT community_id, member_id,
                              row_number() OVER (PARTITION BY community_id ORDER BY member_id) - 1 AS i
                       FROM {t['report']} WHERE status = 'confirmed'),
            tm AS (SELECT id, community_id, leader_id,
                          row_number() OVER (PARTITION BY community_id ORDER BY id) - 1 AS k
                   FROM {t['team']} WHERE description = %(text)s)
            INSERT INTO {t['membership']} (team_id, member_id, status, created_at, decided_at)
            SELECT tm.id, m.member_id, 'accepted', %(now)s, %(now)s
            FROM tm JOIN m ON m.community_id = tm.community_id
            WHERE m.member_id = tm.leader_id
               OR m.i >= %(teams)s + tm.k * (%(size)s - 1) AND m.i < %(teams)s + (tm.k + 1) * (%(size)s - 1)
            """,  # noqa: S608  # nosec B608
            {"text": BENCH_TEXT, "now": now, "teams": TEAMS_PER_COMMUNITY, "size": TEAM_MEMBERS})
    with connection.cursor() as cursor:
        for name in ("series", "activity", "signup", "checkin", "team", "membership"):
            cursor.execute(f"ANALYZE {t[name]}")  # as after any bulk load
    return {**written, "seconds_by_table": seconds}


def remove() -> dict:
    """Take out every row this stage wrote (the crediting's records included), and move the burst's members back.
    One transaction."""
    from django.db import connection, transaction

    t = _tables()
    removed = {}
    mine = f"SELECT id FROM {t['activity']} WHERE description = %s"  # noqa: S608  # nosec B608
    with transaction.atomic(), connection.cursor() as cursor:
        removed["checkins"] = _run(cursor, f"DELETE FROM {t['checkin']} WHERE activity_id IN ({mine})",  # noqa: S608
                                   [BENCH_TEXT])  # nosec B608
        # The sign-ups go with the records the crediting wrote for them (the key is checked at commit).
        cursor.execute(f"""
            WITH gone AS (DELETE FROM {t['signup']} WHERE activity_id IN ({mine}) RETURNING record_id)
            DELETE FROM {t['record']} WHERE id IN (SELECT record_id FROM gone WHERE record_id IS NOT NULL)
            """, [BENCH_TEXT])  # noqa: S608  # nosec B608
        removed["records"] = cursor.rowcount
        cursor.execute(f"SELECT DISTINCT series_id FROM {t['activity']} WHERE description = %s "  # noqa: S608
                       "AND series_id IS NOT NULL", [BENCH_TEXT])  # nosec B608
        series = [row[0] for row in cursor.fetchall()]
        removed["activities"] = _run(cursor, f"DELETE FROM {t['activity']} WHERE description = %s",  # noqa: S608
                                     [BENCH_TEXT])  # nosec B608
        removed["series"] = _run(cursor, f"DELETE FROM {t['series']} WHERE id = ANY(%s)", [series])  # noqa: S608
        teams = f"SELECT id FROM {t['team']} WHERE description = %s"  # noqa: S608  # nosec B608
        removed["memberships"] = _run(
            cursor, f"DELETE FROM {t['membership']} WHERE team_id IN ({teams})", [BENCH_TEXT]  # noqa: S608
        )  # nosec B608
        removed["teams"] = _run(cursor, f"DELETE FROM {t['team']} WHERE description = %s", [BENCH_TEXT])  # noqa: S608
        removed["members_moved_back"] = _move_back(cursor, t)
    return removed


def _move_back(cursor, t) -> int:
    if not MOVED_FILE.exists():
        return 0
    moved = json.loads(MOVED_FILE.read_text())
    if moved:
        cursor.execute(f"""
            UPDATE {t['report']} r SET community_id = v.community_id
            FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, community_id) WHERE r.id = v.id
            """, [[int(key) for key in moved], list(moved.values())])  # noqa: S608  # nosec B608
    MOVED_FILE.unlink()
    return len(moved)


# --- 2. The burst -------------------------------------------------------------------------------------------------


def _burst_community():
    """The community with the most members confirmed there, among those with a community staff account."""
    from django.db.models import Count, Q

    from communities.models import Community, StaffAssignment

    staffed = StaffAssignment.objects.filter(role=StaffAssignment.Role.COMMUNITY_STAFF, community__isnull=False)
    community = (
        Community.objects.filter(pk__in=staffed.values("community_id"))
        .annotate(confirmed=Count("reports", filter=Q(reports__status="confirmed")))
        .order_by("-confirmed", "pk")
        .first()
    )
    if community is None:
        raise SystemExit("bench.activities: no community with a staff account (is there a demo city?)")
    staff = staffed.filter(community=community).select_related("user").first().user
    return community, staff


def _gather_members(community, count: int) -> list:
    """`count` active members confirmed in `community`, moving members confirmed elsewhere there for the stage
    (their reports' community; written to MOVED_FILE first, so that --remove moves them back after a crash)."""
    from django.db import transaction

    from registration.models import Report

    # Plain members: an account with a staff role or a superuser would be held at the second factor.
    confirmed = Report.objects.filter(
        status=Report.Status.CONFIRMED, member__user__is_active=True, member__user__is_superuser=False
    ).exclude(member__user__staff_assignments__isnull=False)
    here = list(confirmed.filter(community=community).order_by("pk").values_list("member_id", flat=True)[:count])
    if len(here) < count:
        others = list(
            confirmed.exclude(community=community).order_by("pk").values_list("pk", "community_id")[: count - len(here)]
        )
        MOVED_FILE.parent.mkdir(parents=True, exist_ok=True)
        MOVED_FILE.write_text(json.dumps({str(pk): community_id for pk, community_id in others}))
        with transaction.atomic():
            Report.objects.filter(pk__in=[pk for pk, _ in others]).update(community=community)
        here += list(Report.objects.filter(pk__in=[pk for pk, _ in others]).values_list("member_id", flat=True))
    if len(here) < count:
        raise SystemExit(f"bench.activities: only {len(here)} members confirmed in the whole city")
    return here


def _activity_with_places(*, community, staff, member_ids, starts_at, ends_at, status, title) -> int:
    """An activity of BURST_MEMBERS places, every member signed up (written directly: the sign-up service is not
    what is measured)."""
    from django.db import transaction

    from services.activities.models import Activity, SignUp

    day = datetime.timedelta(days=1)
    with transaction.atomic():
        activity = Activity.objects.create(
            community=community, title=title, description=BENCH_TEXT, post_type="convenience", place="社区广场",
            starts_at=starts_at, ends_at=ends_at, places=len(member_ids), signed_up_count=len(member_ids),
            signup_deadline=starts_at - day, cancel_cutoff=starts_at - day, contact="社区党委",
            status=status, created_by=staff, published_at=starts_at - 7 * day,
        )
        SignUp.objects.bulk_create(
            [SignUp(activity=activity, member_id=member, status=SignUp.Status.SIGNED_UP) for member in member_ids],
            batch_size=1000,
        )
    return activity.pk


def _sessions(port: int, member_ids: list, check_in_path: str) -> list[tuple[str, str, str]]:
    """Each member logged in through the login form, then their check-in page opened (its form's CSRF token):
    (session id, CSRF cookie, form token) per member, in the order given."""
    from bench import web
    from bench.run import DEMO_PASSWORD
    from registration.models import Member

    usernames = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "user__username"))

    def one(member_id):
        cookies = web.login(port, usernames[member_id], DEMO_PASSWORD)
        token, cookies = web.form_token(port, check_in_path, cookies)
        return cookies["sessionid"], cookies["csrftoken"], token

    with concurrent.futures.ThreadPoolExecutor(LOGIN_THREADS) as pool:
        return list(pool.map(one, member_ids))


def scan_plan(count: int) -> list[int]:
    """The order of the scans: every member once, every REPEAT_EVERY-th followed by a repeat of the member
    scanned five before (in flight at the same time at concurrency 16: the duplicate-scan race)."""
    plan = []
    for index in range(count):
        plan.append(index)
        if index % REPEAT_EVERY == REPEAT_EVERY - 1:
            plan.append(index - 5)
    return plan


def _codes_file(activity_id: int, *, seconds: int) -> tuple[int, list[str]]:
    """The entry code of every window from now until `seconds` (plus two windows) from now."""
    from services.activities import codes

    first = codes.window_at()
    windows = range(first, first + seconds // codes.WINDOW_SECONDS + 3)
    return first, [codes.code_for(activity_id=activity_id, kind="entry", window=window) for window in windows]


def burst(*, port: int, community, staff, member_ids: list, app_pids=()) -> dict:
    """Create the burst's activity (starting in ten minutes: check-in is open), log its members in, scan with wrk,
    then count the entries in SQL."""
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from bench import web

    t = _tables()
    now = timezone.now()
    activity_id = _activity_with_places(
        community=community, staff=staff, member_ids=member_ids, starts_at=now + datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=3), status="published", title="党员集中签到（基准）",
    )
    path = reverse("activities:check-in", args=[activity_id])
    started = time.perf_counter()
    sessions = _sessions(port, member_ids, path)
    login_seconds = time.perf_counter() - started
    plan = scan_plan(len(member_ids))
    first_window, window_codes = _codes_file(activity_id, seconds=BURST_SECONDS + 30)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="bench-checkin-", delete=False) as data:
        data.write(f"{path}\n{first_window} {' '.join(window_codes)}\n")
        data.writelines(f"{' '.join(sessions[index])}\n" for index in plan)
    try:
        figures = web.wrk(
            url=f"http://{web.HOST}:{port}{path}", concurrency=BURST_CONCURRENCY, seconds=BURST_SECONDS,
            script="checkin.lua", script_args=[data.name], app_pids=app_pids,
        )
    finally:
        os.unlink(data.name)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT count(*), count(DISTINCT signup_id), extract(epoch FROM max(at) - min(at))
            FROM {t['checkin']} WHERE activity_id = %s AND kind = 'entry'
            """, [activity_id])  # noqa: S608  # nosec B608
        entries, members_in, span = cursor.fetchone()
        cursor.execute(f"""
            SELECT count(*) FROM {t['signup']} s WHERE s.activity_id = %s AND s.status = 'signed_up'
              AND (SELECT count(*) FROM {t['checkin']} c WHERE c.signup_id = s.id AND c.kind = 'entry') = 1
            """, [activity_id])  # noqa: S608  # nosec B608
        exactly_once = cursor.fetchone()[0]
    return {
        **figures,
        "activity_id": activity_id,
        "members": len(member_ids),
        "scans_planned": len(plan),
        "repeats_planned": len(plan) - len(member_ids),
        "login_seconds": round(login_seconds, 1),
        "entries": entries,
        "members_checked_in": members_in,
        "members_exactly_once": exactly_once,
        "first_to_last_scan_s": round(float(span or 0), 1),
        "seconds": round(float(span or 0), 1),
    }


# --- 3. The crediting ----------------------------------------------------------------------------------------------


def credit(*, community, staff, member_ids: list) -> dict:
    """An activity that ran for three hours and just ended, its members' scans written by SQL: 1 in 10 never came,
    1 in 10 of the rest left after an hour (under the minimum share: no hours), the others stayed 2 to 3 hours.
    Closed through the service, timed."""
    from django.db import connection
    from django.utils import timezone

    from services.activities import services

    t = _tables()
    now = timezone.now()
    starts_at = now - datetime.timedelta(hours=3, minutes=5)
    activity_id = _activity_with_places(
        community=community, staff=staff, member_ids=member_ids, starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=3), status="running", title="社区集中服务日（基准）",
    )
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {t['checkin']} (activity_id, signup_id, member_id, kind, method, at, reason, recorded_by_id)
            SELECT s.activity_id, s.id, s.member_id, k.kind, 'code',
                   %(start)s::timestamptz - (s.id %% 20) * interval '1 minute' + CASE WHEN k.kind = 'entry'
                   THEN interval '0' WHEN s.id %% 9 = 1 THEN interval '1 hour'
                   ELSE interval '2 hours' + (s.id %% 60) * interval '1 minute' END,
                   '', NULL
            FROM {t['signup']} s CROSS JOIN (VALUES ('entry'), ('exit')) k(kind)
            WHERE s.activity_id = %(activity)s AND s.id %% 10 <> 0
            """, {"start": starts_at, "activity": activity_id})  # noqa: S608  # nosec B608
    started = time.perf_counter()
    figures = services.activity_close(user=staff, activity_id=activity_id)
    seconds = time.perf_counter() - started
    return {"activity_id": activity_id, "members": len(member_ids), **figures, "seconds": round(seconds, 3)}


# --- The round ----------------------------------------------------------------------------------------------------


def activities_round(*, env, port: int, weeks: int = 52, signups: int = 8, log=print) -> dict:
    """Load the year, burst, credit, remove. Starts (and stops) its own gunicorn on `port` with `env` (which must
    be the environment this process's Django was set up with: the codes are computed here with its SECRET_KEY)."""
    from django.db import connection

    from bench import web

    if connection.vendor != "postgresql":
        raise SystemExit("bench.activities: PostgreSQL only (DATABASE_URL)")
    remove()  # a round interrupted before
    figures = {}
    app = web.Gunicorn("config.wsgi", port, env, MOVED_FILE.parent / "gunicorn-activities.log")
    try:
        started = time.perf_counter()
        figures["year"] = {**load_year(weeks=weeks, signups=signups),
                           "seconds": round(time.perf_counter() - started, 1), "weeks": weeks}
        log(f"bench.activities: a year loaded: {figures['year']}")
        community, staff = _burst_community()
        member_ids = _gather_members(community, BURST_MEMBERS)
        app.start()
        figures["burst"] = burst(port=port, community=community, staff=staff, member_ids=member_ids,
                                 app_pids=app.pids())
        log(f"bench.activities: burst {figures['burst']}")
        figures["credit"] = credit(community=community, staff=staff, member_ids=member_ids)
        log(f"bench.activities: crediting {figures['credit']}")
    finally:
        app.stop()
        figures["removed"] = remove()
    return figures


def verdicts(figures: dict) -> list[str]:
    """What missed its target, in words (empty: every target met)."""
    missed = []
    scan = figures["burst"]
    if scan["p99_ms"] >= BURST_P99_MS:
        missed.append(f"burst p99 {scan['p99_ms']:.0f} ms (target < {BURST_P99_MS} ms)")
    if scan["first_to_last_scan_s"] >= BURST_SECONDS:
        missed.append(f"burst took {scan['first_to_last_scan_s']} s (target < {BURST_SECONDS} s)")
    if scan["errors"] or scan["members_exactly_once"] != scan["members"] or scan["entries"] != scan["members"]:
        missed.append(f"entries {scan['entries']} for {scan['members']} members, {scan['members_exactly_once']} "
                      f"exactly once, {scan['errors']} errors")
    if figures["credit"]["seconds"] >= CREDIT_S:
        missed.append(f"crediting {figures['credit']['seconds']} s (target < {CREDIT_S} s)")
    return missed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=52, help="weeks of activities per community (4 of them to come)")
    parser.add_argument("--signups", type=int, default=8, help="sign-ups per activity, on average")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8100)))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("BENCH_REDIS_DB", 5)))
    parser.add_argument("--remove", action="store_true", help="only remove what an earlier run left")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.run import manage, production_env

    env = production_env(args)
    manage(env, "collectstatic", "--noinput", "-v0")  # production settings serve the static manifest
    os.environ.update(env)
    import django

    django.setup()
    if args.remove:
        print(f"bench.activities: removed {remove()}")
        return
    figures = activities_round(env=env, port=args.port, weeks=args.weeks, signups=args.signups)
    scan, credited = figures["burst"], figures["credit"]
    print(
        f"activities: year {figures['year']}; burst of {scan['members']} members ({scan['repeats_planned']} repeats) "
        f"at c={BURST_CONCURRENCY}: p50 {scan['p50_ms']:.0f} ms, p99 {scan['p99_ms']:.0f} ms, first to last scan "
        f"{scan['first_to_last_scan_s']} s, {scan['entries']} entries, {scan['members_exactly_once']} exactly once, "
        f"errors {scan['errors']}; crediting {credited['members']} members in {credited['seconds']} s "
        f"({credited['attended']} attended, {credited['no_show']} no-shows, {credited['credited']} credited, "
        f"{credited['hours']} h); removed {figures['removed']}"
    )
    missed = verdicts(figures)
    print("targets: " + ("all met" if not missed else "; ".join(missed)))


if __name__ == "__main__":
    main()
