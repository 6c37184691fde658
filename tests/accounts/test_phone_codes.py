"""communities.phone_codes: codes hashed at rest, short-lived, bound to phone and purpose, limited per phone and per
address, audited; sent through SMS_BACKEND (the locmem gateway here) after commit."""

import datetime

import pytest
from django.test import RequestFactory

from communities.models import AuditEvent
from communities.phone_codes import codes
from communities.phone_codes.models import PhoneCode
from tests.accounts.support import last_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("commit_now")]

PHONE = "13912345678"


def request(ip="203.0.113.9"):
    return RequestFactory().post("/", REMOTE_ADDR=ip)


def test_a_code_is_sent_by_sms_and_kept_only_as_a_keyed_hash(sms_outbox):
    row = codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    code = last_code(sms_outbox, PHONE)
    assert len(code) == 6 and code.isdigit()
    assert sms_outbox[-1]["idempotency_key"] == f"phone-code-{row.pk}"
    row.refresh_from_db()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert not any(code in str(value) for value in PhoneCode.objects.values_list().get())
    event = AuditEvent.objects.get(action="phone_code_send")
    assert event.detail == {"purpose": "login", "phone": "139****5678"}


def test_a_code_works_once_for_its_phone_and_purpose_only(sms_outbox):
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    code = last_code(sms_outbox, PHONE)
    assert not codes.code_check(phone=PHONE, purpose=codes.Purpose.PASSWORD_RESET, code=code)
    assert not codes.code_check(phone="13912345679", purpose=codes.Purpose.LOGIN, code=code)
    assert codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=code)
    assert not codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=code)  # used up
    outcomes = list(AuditEvent.objects.filter(action="phone_code_check").values_list("outcome", flat=True))
    assert outcomes.count("success") == 1 and outcomes.count("failure") == 3


def test_a_code_expires_in_minutes(sms_outbox, time_machine, settings):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC))
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    code = last_code(sms_outbox, PHONE)
    time_machine.shift(datetime.timedelta(minutes=settings.PHONE_CODE_TTL_MINUTES, seconds=1))
    assert not codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=code)


def test_five_wrong_tries_spend_the_code(sms_outbox, settings):
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    code = last_code(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.PHONE_CODE_MAX_ATTEMPTS):
        assert not codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=wrong)
    assert not codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=code)


def test_a_newer_code_replaces_the_older_one(sms_outbox, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC))
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    first = last_code(sms_outbox, PHONE)
    time_machine.shift(datetime.timedelta(seconds=61))
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    second = last_code(sms_outbox, PHONE)
    if first != second:
        assert not codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=first)
    assert codes.code_check(phone=PHONE, purpose=codes.Purpose.LOGIN, code=second)


# --- Rate limits ----------------------------------------------------------------------------------------------------


def test_one_code_a_minute_and_five_an_hour_per_phone_whatever_the_purpose(sms_outbox, time_machine, settings):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC))
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    with pytest.raises(codes.CodeRefused) as refused:
        codes.code_send(phone=PHONE, purpose=codes.Purpose.PASSWORD_RESET, request=request("198.51.100.1"))
    assert refused.value.reason == "wait"
    for _ in range(settings.PHONE_CODE_PER_PHONE_HOUR - 1):
        time_machine.shift(datetime.timedelta(seconds=61))
        codes.code_send(phone=PHONE, purpose=codes.Purpose.REGISTER, request=request(f"198.51.100.{_ + 2}"))
    time_machine.shift(datetime.timedelta(seconds=61))
    with pytest.raises(codes.CodeRefused) as refused:
        codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request("192.0.2.1"))
    assert refused.value.reason == "phone"
    assert len(sms_outbox) == settings.PHONE_CODE_PER_PHONE_HOUR
    assert AuditEvent.objects.filter(action="phone_code_send", outcome="refused").count() == 2
    time_machine.shift(datetime.timedelta(hours=1))
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())


def test_an_address_asks_at_most_its_hourly_number_of_codes(sms_outbox, settings):
    settings.PHONE_CODE_PER_IP_HOUR = 4
    for n in range(4):
        codes.code_send(phone=f"1391234000{n}", purpose=codes.Purpose.REGISTER, request=request())
    with pytest.raises(codes.CodeRefused) as refused:
        codes.code_send(phone="13912340009", purpose=codes.Purpose.REGISTER, request=request())
    assert refused.value.reason == "address"
    codes.code_send(phone="13912340009", purpose=codes.Purpose.REGISTER, request=request("198.51.100.3"))


def test_a_code_not_to_be_delivered_is_made_and_counted_but_not_sent(sms_outbox):
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request(), deliver=False)
    assert sms_outbox == []
    assert PhoneCode.objects.filter(phone=PHONE).count() == 1
    with pytest.raises(codes.CodeRefused):
        codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())


class Flaky:
    """A gateway that fails the way `error` says."""

    error = None
    calls: list = []

    def send(self, phone, template, params, *, idempotency_key=""):
        Flaky.calls.append(idempotency_key)
        raise Flaky.error


def test_a_transient_gateway_failure_is_retried_by_the_worker_and_a_permanent_one_is_not(settings):
    from celery.exceptions import Retry

    from communities.phone_codes.tasks import phone_code_deliver_task
    from communities.sms import SmsError

    settings.SMS_BACKEND = f"{__name__}.Flaky"
    Flaky.calls = []
    Flaky.error = SmsError("busy", transient=True)
    # In a request without a broker (eager) the page must not break: one try, no retry.
    codes.code_send(phone=PHONE, purpose=codes.Purpose.LOGIN, request=request())
    assert len(Flaky.calls) == 1
    row = PhoneCode.objects.get(phone=PHONE)
    # On a worker, the same failure is retried (with the same idempotency key on every attempt).
    with pytest.raises(Retry):
        phone_code_deliver_task.run(row.pk, codes.seal("123456"))
    assert Flaky.calls == [f"phone-code-{row.pk}"] * 2
    Flaky.error = SmsError("bad number", transient=False)
    assert phone_code_deliver_task.run(row.pk, codes.seal("123456")) is False


def test_the_embedded_default_prints_the_code_on_the_console(capsys):
    from communities.sms import ConsoleSmsBackend

    ConsoleSmsBackend().send(PHONE, "phone_code", {"code": "123456", "minutes": "5"}, idempotency_key="k")
    assert "123456" in capsys.readouterr().out
