"""Crediting verified service: every verified ServiceRecord (records logged by members and those an activity's
closing wrote from check-ins alike) earns its hours twice, once as honour hours and once as time credits, each a
transfer from its community's bank to the member, exactly once (the unique source key
`transfer_once_per_source`: kind, "record", record id).

One code path for one record (on verification) and for a million (the chunked job): set-based SQL over a range
of record ids, in one transaction per range:
1. lock the range's verified records (ascending id): a verification's crediting of the same record waits here,
   then finds it credited;
2. open the accounts that are missing (members' and communities' banks), then lock every account the range
   touches (ascending id: the ledger's one lock order);
3. INSERT … SELECT the transfers of the records not yet credited, their legs, and add the legs to the balances.
A few statements per range whatever its size; the portable SQL runs on PostgreSQL and SQLite (>= 3.33).
"""

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from services.models import ServiceRecord

from .models import Account, Leg, Transfer, Value

CHUNK = 20_000
# What a record earns: (transfer kind, value).
EARNINGS = ((Transfer.Kind.HONOUR, Value.HONOUR), (Transfer.Kind.EARN, Value.CREDIT))


def uncredited_records(*, first_id: int | None = None, last_id: int | None = None):
    """Verified records without their credits (the honour transfer is written in the same transaction), with ids
    in [first_id, last_id] when given."""
    credited = Transfer.objects.filter(
        kind=Transfer.Kind.EARN, source_type=Transfer.Source.RECORD, source_id=OuterRef("pk")
    )
    records = ServiceRecord.objects.filter(status=ServiceRecord.Status.VERIFIED)
    if first_id is not None:
        credited = credited.filter(source_id__gte=first_id, source_id__lte=last_id)
        records = records.filter(pk__gte=first_id, pk__lte=last_id)
    return records.filter(~Exists(credited))


def _open_accounts(member_ids: set[int], community_ids: set[int]) -> None:
    rows = []
    for value in Value.values:
        have = set(Account.objects.filter(member_id__in=member_ids, value=value).values_list("member_id", flat=True))
        rows += [Account(kind=Account.Kind.MEMBER, value=value, member_id=member_id)
                 for member_id in member_ids - have]
        have = set(Account.objects.filter(community_id__in=community_ids, kind=Account.Kind.BANK, value=value)
                   .values_list("community_id", flat=True))
        rows += [Account(kind=Account.Kind.BANK, value=value, community_id=community_id, min_balance=None)
                 for community_id in community_ids - have]
    # ignore_conflicts: a concurrent crediting or verification may open the same account first.
    Account.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def credit_range(*, first_id: int, last_id: int) -> int:
    """Credit the verified, uncredited records with first_id <= id <= last_id. Returns how many records were
    credited. Idempotent: running it twice credits nothing the second time."""
    with transaction.atomic():
        # The anti-join bounded to the range on both sides: an index range scan of the transfers, never the
        # whole table, whatever plan the database picks.
        pending = list(
            uncredited_records(first_id=first_id, last_id=last_id).order_by("pk")
            .select_for_update(of=("self",)).values_list("pk", "member_id", "community_id")
        )
        if not pending:
            return 0
        member_ids = {member_id for _pk, member_id, _community in pending}
        community_ids = {community_id for _pk, _member, community_id in pending}
        _open_accounts(member_ids, community_ids)
        _lock(member_ids, community_ids)
        _insert(first_id=pending[0][0], last_id=pending[-1][0])
    return len(pending)


def _lock(member_ids, community_ids) -> None:
    ids = set(Account.objects.filter(member_id__in=member_ids).values_list("pk", flat=True))
    ids |= set(Account.objects.filter(kind=Account.Kind.BANK, community_id__in=community_ids)
               .values_list("pk", flat=True))
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):  # SQLite's limit on parameters; the order stays ascending
        list(Account.objects.select_for_update().filter(pk__in=ordered[start:start + 5000]).order_by("pk")
             .values_list("pk", flat=True))


def _insert(*, first_id: int, last_id: int) -> None:
    record, account, transfer, leg = (
        ServiceRecord._meta.db_table, Account._meta.db_table, Transfer._meta.db_table, Leg._meta.db_table
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {transfer}")  # noqa: S608  # nosec B608 - table names from models
        before = cursor.fetchone()[0]
        for kind, value in EARNINGS:
            # Table names come from the models, every value is a parameter.
            cursor.execute(
                f"""
                INSERT INTO {transfer} (kind, value, tenths, from_account_id, to_account_id, community_id, reason,
                                        source_type, source_id, reverses_id, created_by_id, created_at)
                SELECT %s, %s, CAST(ROUND(r.hours * 10) AS BIGINT), bank.id, mine.id, r.community_id, '',
                       %s, r.id, NULL, NULL, %s
                FROM {record} r
                JOIN {account} mine ON mine.member_id = r.member_id AND mine.value = %s
                JOIN {account} bank ON bank.community_id = r.community_id AND bank.kind = %s AND bank.value = %s
                WHERE r.id >= %s AND r.id <= %s AND r.status = %s
                  AND NOT EXISTS (SELECT 1 FROM {transfer} t
                                  WHERE t.kind = %s AND t.source_type = %s AND t.source_id = r.id
                                    AND t.source_id >= %s AND t.source_id <= %s)
                ORDER BY r.id
                """,  # noqa: S608  # nosec B608 - table names from the models, values as parameters
                [kind, value, Transfer.Source.RECORD, now, value, Account.Kind.BANK, value, first_id, last_id,
                 ServiceRecord.Status.VERIFIED, kind, Transfer.Source.RECORD, first_id, last_id],
            )
        # The transfers just written: those of this range's records with an id above `before` (no other
        # transaction can credit these records while their rows are locked).
        mine = (f"FROM {transfer} t WHERE t.id > %s AND t.kind IN (%s, %s) AND t.source_type = %s "  # noqa: S608
                "AND t.source_id >= %s AND t.source_id <= %s")
        mine_params = [before, Transfer.Kind.HONOUR, Transfer.Kind.EARN, Transfer.Source.RECORD, first_id, last_id]
        cursor.execute(
            f"INSERT INTO {leg} (transfer_id, account_id, tenths) "  # noqa: S608
            f"SELECT t.id, t.from_account_id, -t.tenths {mine} "
            f"UNION ALL SELECT t.id, t.to_account_id, t.tenths {mine}",
            mine_params + mine_params,
        )
        cursor.execute(
            f"""
            WITH delta(account_id, tenths) AS (
                SELECT l.account_id, SUM(l.tenths) FROM {leg} l
                WHERE l.transfer_id IN (SELECT t.id {mine}) GROUP BY l.account_id
            )
            UPDATE {account} SET balance = {account}.balance + delta.tenths
            FROM delta WHERE {account}.id = delta.account_id
            """,  # noqa: S608  # nosec B608 - table names from the models, values as parameters
            mine_params,
        )


def credit_record(*, record_id: int) -> int:
    """Credit one record (on its verification): 1 if credited now, 0 if not verified or already credited."""
    return credit_range(first_id=record_id, last_id=record_id)


def id_bounds() -> tuple[int, int] | None:
    """The lowest and highest id of the verified records not yet credited, or None."""
    ids = uncredited_records().order_by("pk").values_list("pk", flat=True)
    first = ids.first()
    if first is None:
        return None
    return first, uncredited_records().order_by("-pk").values_list("pk", flat=True).first()


def credit_all(*, chunk: int = CHUNK) -> int:
    """Credit every verified record not yet credited, a range of `chunk` record ids per transaction (a killed run
    loses at most one range's work, and the next run picks up what is left). Returns how many were credited."""
    bounds = id_bounds()
    if bounds is None:
        return 0
    first, last = bounds
    credited = 0
    for start in range(first, last + 1, chunk):
        credited += credit_range(first_id=start, last_id=min(start + chunk - 1, last))
    return credited
