"""The ledger's guarantees: two legs summing to zero, balances in step, floors, values 不能混用ed, append-only,
reversal at most once; crediting of verified service exactly once; reconcile_ledger finds what breaks them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from services.models import ServiceRecord
from services.timebank import crediting, ledger
from services.timebank import services as bank
from services.timebank.models import Account, Leg, Transfer, Value
from services.timebank.reconcile import reconcile
from tests import factories

from .helpers import verified_record


def findings():
    return {check: found for check, found in reconcile().items() if found}


def test_a_verified_record_earns_honour_hours_and_credits_from_its_community_bank(member, community):
    record = verified_record(member, community, "2.5")
    honour = Account.objects.get(member=member, value=Value.HONOUR)
    credit = Account.objects.get(member=member, value=Value.CREDIT)
    assert (honour.balance, credit.balance) == (25, 25)
    bank_credit = Account.objects.get(community=community, kind=Account.Kind.BANK, value=Value.CREDIT)
    assert bank_credit.balance == -25 and bank_credit.min_balance is None
    transfers = Transfer.objects.filter(source_type="record", source_id=record.pk)
    assert sorted(transfers.values_list("kind", "value", "tenths")) == [("earn", "credit", 25),
                                                                      ("honour", "honour", 25)]
    for transfer in transfers:
        legs = list(transfer.legs.values_list("account_id", "tenths"))
        assert sorted(legs) == sorted([(transfer.from_account_id, -25), (transfer.to_account_id, 25)])
    assert findings() == {}


def test_crediting_twice_credits_once(member, community):
    record = verified_record(member, community, "1.5")
    assert crediting.credit_record(record_id=record.pk) == 0
    assert crediting.credit_all() == 0
    assert Transfer.objects.filter(source_id=record.pk, source_type="record").count() == 2
    assert Account.objects.get(member=member, value=Value.CREDIT).balance == 15


def test_the_unique_source_key_refuses_a_second_credit_of_a_record(member, community):
    record = verified_record(member, community)
    first = Transfer.objects.get(kind="earn", source_id=record.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(kind="earn", value="credit", tenths=20, from_account=first.from_account,
                                to_account=first.to_account, source_type="record", source_id=record.pk)


def test_the_chunked_job_credits_every_verified_record_and_no_other(community):
    members = [factories.ReportFactory(community=community, status="confirmed").member for _ in range(5)]
    records = [verified_record(m, community, "1.0", credit=False) for m in members for _ in range(3)]
    submitted = factories.ServiceRecordFactory(member=members[0], community=community)
    assert crediting.credit_all(chunk=4) == len(records)
    assert Transfer.objects.filter(kind="earn").count() == 15
    assert not Transfer.objects.filter(source_id=submitted.pk, source_type="record").exists()
    assert sorted(Account.objects.filter(member__in=members, value="credit").values_list("balance", flat=True)) == [
        30] * 5
    assert findings() == {}


def test_a_record_verified_through_the_service_is_credited_on_commit(member, community, staff,
                                                                     django_capture_on_commit_callbacks):
    from services.services import record_verify

    record = factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("3.0"))
    with django_capture_on_commit_callbacks(execute=True):
        record_verify(user=staff, record_id=record.pk)
    assert Account.objects.get(member=member, value="credit").balance == 30
    assert Account.objects.get(member=member, value="honour").balance == 30


def test_a_gift_moves_credits_to_the_family_account_with_two_legs(member, community):
    verified_record(member, community, "4.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    transfer = bank.gift_to_family(member=member, family_id=mother.pk, tenths=15)
    assert Account.objects.get(member=member, value="credit").balance == 25
    assert Account.objects.get(family=mother).balance == 15
    assert transfer.legs.aggregate(total=Sum("tenths"))["total"] == 0
    assert findings() == {}


def test_a_member_cannot_give_more_than_the_balance(member, community):
    verified_record(member, community, "1.0")
    child = bank.family_add(member=member, name="李小明", relation="儿子")
    with pytest.raises(ValidationError, match="积分不足"):
        bank.gift_to_family(member=member, family_id=child.pk, tenths=11)
    assert Account.objects.get(member=member, value="credit").balance == 10
    assert not Transfer.objects.filter(kind="gift").exists()


def test_the_database_refuses_a_balance_under_the_floor(member, community):
    verified_record(member, community, "1.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(member=member, value="credit").update(balance=-1)


def test_an_account_with_a_limit_may_go_negative_down_to_it(member, community):
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    account = ledger.member_account(member.pk)
    Account.objects.filter(pk=account.pk).update(min_balance=-20)
    bank.gift_to_family(member=member, family_id=mother.pk, tenths=20)
    assert Account.objects.get(pk=account.pk).balance == -20
    with pytest.raises(ValidationError):
        bank.gift_to_family(member=member, family_id=mother.pk, tenths=1)
    assert findings() == {}


def test_honour_hours_are_never_spent(member, community):
    verified_record(member, community, "2.0")
    honour = Account.objects.get(member=member, value="honour")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    family = ledger.family_account(mother.pk)
    with pytest.raises(ValidationError, match="不能混用"), transaction.atomic():
        ledger.post(kind="gift", from_account=honour, to_account=family, tenths=5, source_type="gift")
    bank_honour = Account.objects.get(community=community, kind="bank", value="honour")
    # Not even to the bank: only the verified-service kind moves honour hours (check constraint).
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.post(kind="spend", from_account=honour, to_account=bank_honour, tenths=5, source_type="request")
    # And nobody but a member or a bank can hold them.
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind="fund", value="honour", community=community)


def test_transfers_and_legs_are_never_edited_or_deleted(member, community):
    record = verified_record(member, community)
    transfer = Transfer.objects.filter(source_id=record.pk).first()
    with pytest.raises(TypeError):
        transfer.save()
    with pytest.raises(TypeError):
        transfer.delete()
    with pytest.raises(TypeError):
        Transfer.objects.filter(pk=transfer.pk).update(tenths=1)
    with pytest.raises(TypeError):
        Leg.objects.all().delete()
    # Below the ORM, the database trigger refuses an UPDATE.
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE timebank_transfer SET tenths = 1 WHERE id = %s", [transfer.pk])


def test_a_reversal_posts_the_opposite_transfer_once(member, community, staff):
    verified_record(member, community, "3.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    gift = bank.gift_to_family(member=member, family_id=mother.pk, tenths=20)
    reversal = bank.transfer_reverse(user=staff, transfer_id=gift.pk, reason="误操作，金额填错")
    assert (reversal.from_account_id, reversal.to_account_id) == (gift.to_account_id, gift.from_account_id)
    assert reversal.reverses_id == gift.pk and reversal.kind == "reversal"
    assert Account.objects.get(member=member, value="credit").balance == 30
    assert Account.objects.get(family=mother).balance == 0
    with pytest.raises(ValidationError, match="已经冲正过了"):
        bank.transfer_reverse(user=staff, transfer_id=gift.pk, reason="again")
    assert Transfer.objects.filter(kind="reversal").count() == 1
    assert findings() == {}


def test_a_reversal_fails_when_the_credits_are_gone(member, community, staff):
    verified_record(member, community, "3.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    gift = bank.gift_to_family(member=member, family_id=mother.pk, tenths=20)
    bank.service_request_create(member=member, community=community, title="上门理发", description="",
                                tenths=20, family_id=mother.pk)
    with pytest.raises(ValidationError, match="积分不足"):
        bank.transfer_reverse(user=staff, transfer_id=gift.pk, reason="误操作")


def test_earned_credits_are_not_reversed_by_hand(member, community, staff):
    record = verified_record(member, community)
    earn = Transfer.objects.get(kind="earn", source_id=record.pk)
    with pytest.raises(ValidationError, match="不能冲正"):
        bank.transfer_reverse(user=staff, transfer_id=earn.pk, reason="试一下")


def test_a_service_request_is_paid_and_refunded_when_declined(member, community, staff):
    verified_record(member, community, "5.0")
    request = bank.service_request_create(member=member, community=community, title="代买药品", description="",
                                          tenths=20)
    assert Account.objects.get(member=member, value="credit").balance == 30
    bank.service_request_decide(user=staff, request_id=request.pk, accept=False)
    assert Account.objects.get(member=member, value="credit").balance == 50
    with pytest.raises(ValidationError):
        bank.service_request_withdraw(member=member, request_id=request.pk)
    assert findings() == {}


def test_an_accepted_request_becomes_a_draft_need_of_the_community(member, community, staff):
    verified_record(member, community, "5.0")
    request = bank.service_request_create(member=member, community=community, title="陪同就医", description="周三上午",
                                          tenths=30)
    request = bank.service_request_decide(user=staff, request_id=request.pk, accept=True)
    assert request.need.community == community and request.need.status == "draft"
    assert request.need.title == "陪同就医"


def test_the_fund_pays_for_a_resident_only_with_a_second_staff_member(member, community, staff):
    from .helpers import community_staff

    unit = factories.UnitFactory()
    bank.organisation_deposit(user=staff, community=community, unit=unit, tenths=1000, reason="企业捐赠")
    assert Account.objects.get(community=community, kind="fund").balance == 1000
    assert Account.objects.get(organisation=unit).balance == 0
    payment = bank.fund_payment_ask(user=staff, community=community, beneficiary="小芳", purpose="资助学费",
                                    tenths=600)
    with pytest.raises(ValidationError, match="另一名工作人员"):
        bank.fund_payment_decide(user=staff, payment_id=payment.pk, approve=True)
    second = community_staff(community)
    bank.fund_payment_decide(user=second, payment_id=payment.pk, approve=True)
    assert Account.objects.get(community=community, kind="fund").balance == 400
    payment.refresh_from_db()
    assert payment.status == "approved" and payment.decided_by == second
    with pytest.raises(IntegrityError), transaction.atomic():
        type(payment).objects.filter(pk=payment.pk).update(decided_by=staff)
    assert findings() == {}


def test_the_fund_cannot_pay_more_than_it_holds(community, staff):
    from .helpers import community_staff

    payment = bank.fund_payment_ask(user=staff, community=community, beneficiary="小芳", purpose="资助学费",
                                    tenths=10)
    with pytest.raises(ValidationError, match="积分不足"):
        bank.fund_payment_decide(user=community_staff(community), payment_id=payment.pk, approve=True)


def test_staff_of_another_community_cannot_keep_these_books(member, community):
    from django.core.exceptions import PermissionDenied

    from .helpers import community_staff

    other = community_staff(factories.CommunityFactory())
    verified_record(member, community)
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    gift = bank.gift_to_family(member=member, family_id=mother.pk, tenths=5)
    with pytest.raises(PermissionDenied):
        bank.transfer_reverse(user=other, transfer_id=gift.pk, reason="x")
    with pytest.raises(PermissionDenied):
        bank.organisation_deposit(user=other, community=community, unit=factories.UnitFactory(), tenths=10,
                                  reason="x")
    with pytest.raises(PermissionDenied):
        bank.fund_payment_ask(user=other, community=community, beneficiary="x", purpose="y", tenths=10)


# --- reconcile_ledger finds what breaks -----------------------------------------------------------------------------


def test_reconcile_ledger_reports_nothing_on_a_sound_ledger(member, community, capsys):
    verified_record(member, community)
    call_command("reconcile_ledger")
    assert "✗" not in capsys.readouterr().err


def test_reconcile_finds_a_balance_that_is_not_its_movements(member, community):
    verified_record(member, community)
    Account.objects.filter(member=member, value="credit").update(balance=99)
    assert "balances equal movements" in findings()
    with pytest.raises(SystemExit) as exit_:
        call_command("reconcile_ledger")
    assert exit_.value.code == 1


def test_reconcile_finds_an_uncredited_record_and_one_credited_that_is_not_verified(member, community):
    verified_record(member, community, credit=False)
    assert "verified service credited once" in findings()
    crediting.credit_all()
    assert findings() == {}
    other = verified_record(member, community)
    ServiceRecord.objects.filter(pk=other.pk).update(status="rejected")
    assert any("not verified" in line for line in findings()["verified service credited once"])


def test_reconcile_finds_a_record_credited_for_other_hours(member, community):
    record = verified_record(member, community, "2.0")
    ServiceRecord.objects.filter(pk=record.pk).update(hours=Decimal("3.0"))
    assert any("not the record's hours" in line for line in findings()["verified service credited once"])


def test_reconcile_finds_a_transfer_whose_legs_do_not_sum_to_zero(member, community):
    record = verified_record(member, community)
    transfer = Transfer.objects.get(kind="earn", source_id=record.pk)
    Leg.objects.bulk_create([Leg(transfer=transfer, account=ledger.community_account(community.pk, "fund"),
                                 tenths=3)])
    assert "transfers sum to zero" in findings()


def test_reconcile_finds_a_checkin_whose_hours_are_not_credited(member, community):
    from services.activities.models import SignUp
    from tests.activities.helpers import make_activity

    activity = make_activity(community, status="ended")
    record = verified_record(member, community, credit=False)
    SignUp.objects.create(activity=activity, member=member, status="attended", record=record)
    assert any("sign-ups" in line for line in findings()["verified service credited once"])
