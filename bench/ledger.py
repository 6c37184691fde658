"""The time bank's stage of the benchmark (issue 23): a year of the province credited, then proved.

1. write `--ledger-records` verified service records of this year (default 500,000: with their honour hours and
   credits, a million transfers), spread over the members with a confirmed report, in one INSERT … SELECT;
2. time the crediting job as it runs (`services.timebank.crediting.credit_all`, ranges of record ids, one
   transaction each) — target < 2 minutes;
3. time `manage.py reconcile_ledger` over the whole ledger in its own process — target < 1 minute, no finding;
4. remove what it wrote: the records, their transfers and legs, and their amounts from the balances (the ledger is
   append-only, so the triggers are switched off for this one transaction, as only a benchmark may).

Run alone (Django set up from the environment; PostgreSQL, on a database that holds members):
    DATABASE_URL=… python -m bench.ledger --records 100000
or as the `ledger` operation of bench/run.py (`--ops ledger`).
"""

import argparse
import os
import subprocess  # nosec B404 - the project's own command, fixed arguments
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_TEXT = "bench-ledger"  # the description that marks the records this stage writes
CREDIT_S, RECONCILE_S = 120, 60


def _tables():
    from services.models import ServiceRecord
    from services.timebank.models import Account, Leg, Transfer

    return (ServiceRecord._meta.db_table, Transfer._meta.db_table, Leg._meta.db_table, Account._meta.db_table)


def write_records(count: int) -> int:
    """`count` verified records of this year, round-robin over the members with a confirmed report (PostgreSQL)."""
    from django.db import connection, transaction
    from django.utils import timezone

    record, *_ = _tables()
    now = timezone.now()
    year_start = now.replace(month=1, day=1, hour=12, minute=0, second=0, microsecond=0)
    days = max(1, (now - year_start).days)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH served AS (
                SELECT member_id, community_id, row_number() OVER (ORDER BY id) - 1 AS n
                FROM registration_report WHERE status = 'confirmed'
            ), total AS (SELECT count(*) AS c FROM served)
            INSERT INTO {record} (member_id, claim_id, community_id, served_on, hours, description, outcome,
                                  status, points, verified_by_id, verified_at, reject_reason, resident_feedback,
                                  created_at)
            SELECT s.member_id, NULL, s.community_id, (%s::date + (g %% %s)), 1 + (g %% 8) * 0.5, %s, 'general',
                   'verified', 1, NULL, %s, '', '', %s
            FROM generate_series(0, %s - 1) g CROSS JOIN total
            JOIN served s ON s.n = g %% total.c
            """,  # noqa: S608 - the table name comes from the model; every value is a parameter  # nosec B608
            [year_start.date(), days, BENCH_TEXT, now, now, count],
        )
        written = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {record}")  # as after any bulk load (the demo city does the same)
    return written


def remove_records() -> dict:
    """Take out what the stage wrote, balances included, in one transaction."""
    from django.db import connection, transaction

    record, transfer, leg, account = _tables()
    mine = (f"SELECT t.id FROM {transfer} t JOIN {record} r ON t.source_type = 'record' "  # noqa: S608
            f"AND t.source_id = r.id WHERE r.description = %s")
    with transaction.atomic(), connection.cursor() as cursor:
        # The foreign keys are checked at each statement, not at commit: ALTER TABLE refuses to run with checks
        # still pending in the transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in (transfer, leg):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(
            f"""
            WITH delta AS (SELECT account_id, sum(tenths) AS s FROM {leg} WHERE transfer_id IN ({mine})
                           GROUP BY account_id)
            UPDATE {account} a SET balance = a.balance - delta.s FROM delta WHERE a.id = delta.account_id
            """,  # noqa: S608  # nosec B608
            [BENCH_TEXT],
        )
        cursor.execute(f"DELETE FROM {leg} WHERE transfer_id IN ({mine})", [BENCH_TEXT])  # noqa: S608  # nosec B608
        legs = cursor.rowcount
        cursor.execute(f"DELETE FROM {transfer} WHERE id IN ({mine})", [BENCH_TEXT])  # noqa: S608  # nosec B608
        transfers = cursor.rowcount
        for table in (transfer, leg):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        cursor.execute(f"DELETE FROM {record} WHERE description = %s", [BENCH_TEXT])  # noqa: S608  # nosec B608
        return {"records": cursor.rowcount, "transfers": transfers, "legs": legs}


def ledger_round(*, records: int, env=None, python: str = sys.executable) -> dict:
    """One round: write, credit (timed), reconcile in its own process (timed), remove. Returns the figures."""
    from django.db import connection

    from services.timebank import crediting

    if connection.vendor != "postgresql":
        raise SystemExit("bench.ledger: PostgreSQL only (DATABASE_URL)")
    remove_records()  # a round interrupted before
    written = write_records(records)
    try:
        started = time.perf_counter()
        credited = crediting.credit_all()
        credit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        reconciled = subprocess.run(  # noqa: S603  # nosec B603
            [python, str(ROOT / "manage.py"), "reconcile_ledger"], env=env or os.environ.copy(),
            capture_output=True, text=True, check=False,
        )
        reconcile_seconds = time.perf_counter() - started
        print(f"bench.ledger: {2 * credited:,} transfers credited in {credit_seconds:.1f} s, reconcile_ledger "
              f"{reconcile_seconds:.1f} s (exit {reconciled.returncode})", file=sys.stderr, flush=True)
    finally:
        removed = remove_records()
    return {
        "records": written,
        "credited": credited,
        "transfers": 2 * credited,
        "seconds": round(credit_seconds, 1),
        "transfers_per_s": round(2 * credited / credit_seconds) if credit_seconds else None,
        "reconcile_seconds": round(reconcile_seconds, 1),
        "reconcile_exit": reconciled.returncode,
        "reconcile_output": (reconciled.stdout + reconciled.stderr).strip().splitlines()[-8:],
        "removed": removed,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500_000, help="verified records to credit (2 transfers each)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    figures = ledger_round(records=args.records)
    print(
        f"ledger: {figures['records']:,} records, {figures['transfers']:,} transfers credited in "
        f"{figures['seconds']} s ({figures['transfers_per_s']:,}/s; target < {CREDIT_S} s for 1,000,000); "
        f"reconcile_ledger {figures['reconcile_seconds']} s, exit {figures['reconcile_exit']} "
        f"(target < {RECONCILE_S} s); removed {figures['removed']}"
    )
    print("\n".join(figures["reconcile_output"]))


if __name__ == "__main__":
    main()
