"""The double-entry core: open accounts, post a transfer, reverse one. Every write of a balance goes through here.

Guarantees, each backed by the database:
- a transfer has two legs that sum to zero (minus on `from`, plus on `to`), written with the balances in the
  caller's transaction (`post` requires one: it is called inside a service's `transaction.atomic`);
- both accounts hold the transfer's value (honour hours and credits never mix);
- balances are kept in step under row locks taken in one fixed order (ascending account id), so two posts that
  touch the same two accounts queue instead of deadlocking; a balance never goes under the account's floor (the
  check is made under the lock and the check constraint `account_balance_within_limit` backs it);
- nothing is edited or deleted: `reverse` posts the opposite transfer, at most once per transfer.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Account, Leg, Transfer, Value, tenths_text


def _open(lookup: dict, **defaults) -> Account:
    try:
        with transaction.atomic():
            account, _created = Account.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:  # opened by a concurrent transaction between the get and the create
        account = Account.objects.get(**lookup)
    return account


def member_account(member_id: int, value: str = Value.CREDIT) -> Account:
    return _open({"member_id": member_id, "value": value}, kind=Account.Kind.MEMBER)


def family_account(family_id: int) -> Account:
    return _open({"family_id": family_id}, kind=Account.Kind.FAMILY, value=Value.CREDIT)


def organisation_account(unit_id: int) -> Account:
    return _open({"organisation_id": unit_id}, kind=Account.Kind.ORGANISATION, value=Value.CREDIT)


def community_account(community_id: int, kind: str, value: str = Value.CREDIT) -> Account:
    """The community's fund, 爱心超市 or bank (the bank has no floor: it issues)."""
    min_balance = None if kind == Account.Kind.BANK else 0
    return _open({"community_id": community_id, "kind": kind, "value": value}, min_balance=min_balance)


def lock_accounts(account_ids) -> dict[int, Account]:
    """Lock the accounts in ascending id order (the one order every writer uses) and return them fresh."""
    ids = sorted(set(account_ids))
    locked = Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in locked}


def post(
    *,
    kind: str,
    from_account: Account,
    to_account: Account,
    tenths: int,
    source_type: str,
    source_id: int | None = None,
    community_id: int | None = None,
    reason: str = "",
    user=None,
    reverses: Transfer | None = None,
) -> Transfer:
    """Post one transfer: lock both accounts (ascending id), check values and the floor, write the transfer, its two
    legs and both balances. Raises ValidationError (not enough on the account, mixed values, nothing to move).
    Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post runs inside the service's transaction.atomic.")
    if tenths <= 0:
        raise ValidationError(_("The amount must be more than zero."))
    accounts = lock_accounts([from_account.pk, to_account.pk])
    source, target = accounts[from_account.pk], accounts[to_account.pk]
    if source.value != target.value:
        raise ValidationError(_("Honour hours and time credits never mix."))
    if source.min_balance is not None and source.balance - tenths < source.min_balance:
        raise ValidationError(
            _("Not enough credits: %(balance)s available, %(amount)s needed.")
            % {"balance": tenths_text(source.balance - source.min_balance), "amount": tenths_text(tenths)}
        )
    transfer = Transfer.objects.create(
        kind=kind, value=source.value, tenths=tenths, from_account=source, to_account=target,
        community_id=community_id, reason=reason[:200], source_type=source_type, source_id=source_id,
        reverses=reverses, created_by=user if user is not None and user.is_authenticated else None,
        created_at=timezone.now(),
    )
    Leg.objects.bulk_create([
        Leg(transfer=transfer, account=source, tenths=-tenths),
        Leg(transfer=transfer, account=target, tenths=tenths),
    ])
    Account.objects.filter(pk=source.pk).update(balance=F("balance") - tenths)
    Account.objects.filter(pk=target.pk).update(balance=F("balance") + tenths)
    source.balance -= tenths
    target.balance += tenths
    return transfer


def reverse(*, transfer_id: int, user, reason: str) -> Transfer:
    """Post the opposite of a transfer (a mistake undone), at most once. Honour hours and earned credits are not
    reversed here: they follow their record. Raises ValidationError. Runs inside the caller's transaction; the
    original's row is locked first (before the accounts), so two reversals of one transfer queue and the second is
    refused (the one-to-one `reverses` backs it)."""
    original = Transfer.objects.select_for_update().get(pk=transfer_id)
    if original.kind in (Transfer.Kind.EARN, Transfer.Kind.HONOUR, Transfer.Kind.REVERSAL):
        raise ValidationError(_("This transfer cannot be reversed."))
    if Transfer.objects.filter(reverses=original).exists():
        raise ValidationError(_("This transfer has already been reversed."))
    return post(
        kind=Transfer.Kind.REVERSAL, from_account=original.to_account, to_account=original.from_account,
        tenths=original.tenths, source_type=Transfer.Source.TRANSFER, source_id=original.pk,
        community_id=original.community_id, reason=reason, user=user, reverses=original,
    )
