"""The registration target of the benchmark (bench/run.py, bench/wrk/register.lua): the SMS codes made before a
run pass the registration form's own check, one per person in the order the lua script numbers them; a POST past
the last code is refused and counted as an error, with a note."""

import shutil
import urllib.parse

import pytest

from bench import run
from bench.phone_codes import make_codes
from communities.phone_codes.models import PhoneCode
from registration.models import Member
from tests import factories


@pytest.fixture
def city(settings, monkeypatch, tmp_path):
    settings.REGISTRATION_RATE_LIMIT = 0  # every POST comes from one address, as in the benchmark
    monkeypatch.setattr(run, "VAR", tmp_path)
    community = factories.CommunityFactory()
    unit = factories.UnitFactory()
    return {"community": community, "unit": unit}


def read_data(path):
    """The data file as register.lua reads it: cookie, fixed fields, places up to the empty line, then codes."""
    cookie, fixed, *rest = path.read_text().splitlines()
    blank = rest.index("")
    return cookie, fixed, rest[:blank], rest[blank + 1 :]


@pytest.mark.django_db(transaction=True)
def test_the_data_files_codes_pass_the_registration_forms_check_person_by_person(city, live_server):
    port = urllib.parse.urlsplit(live_server.url).port
    first = run.next_person()
    pairs = make_codes(count=3, first=first, purpose=PhoneCode.Purpose.REGISTER, phone=run.registration_phone)
    assert [phone for phone, _ in pairs] == [run.registration_phone(first + k) for k in range(3)]
    assert PhoneCode.objects.filter(phone__startswith="192", purpose=PhoneCode.Purpose.REGISTER).count() == 3
    cookie, fixed, places, codes = read_data(run.registration_data(port, [code for _, code in pairs]))
    assert codes == [code for _, code in pairs] and len(places) == 1
    # Persons first and first + 1 with their own lines' codes; first + 2 with first + 1's code is refused.
    for k, code_line in ((0, 0), (1, 1), (2, 1)):
        n = first + k
        body = dict(urllib.parse.parse_qsl(fixed + places[0], keep_blank_values=True)) | {
            "id_number": factories.valid_id_number(n),
            "phone": run.registration_phone(n),
            "phone_code": codes[code_line],
        }
        answer = run_post(port, body, cookie)
        if k < 2:
            assert answer.status == 302 and "/registration/letters/" in answer.headers["location"]
        else:
            assert answer.status == 200
    assert Member.objects.filter(phone__startswith="192").count() == 2
    # The next run starts above every phone with a code, registered or not (it could not get another one yet).
    assert run.next_person() == first + 3


def run_post(port, body, cookie):
    from bench import web

    return web.request(port, "POST", "/registration/register/", form=body, cookies={"csrftoken": cookie})


@pytest.mark.skipif(shutil.which("wrk") is None, reason="Debian's wrk is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_wrk_run_registers_one_member_per_code_and_counts_the_posts_past_them_as_errors(city, live_server,
                                                                                          monkeypatch):
    monkeypatch.setattr(run, "REGISTRATION_CODES_PER_S", 1)  # 3 codes for a 3-second run: it runs out
    port = urllib.parse.urlsplit(live_server.url).port
    figures = run.registration_run(port=port, concurrency=1, seconds=3, app_pids=[])
    assert figures["codes"] == 3
    assert figures["requests"] > 3, "the test server answered too few POSTs to run out of codes"
    assert figures["created"] == figures["members_created"] == 3
    assert Member.objects.filter(phone__startswith="192").count() == 3
    # Every POST sent is one person: the first three with their codes, the rest with none (and refused); one may
    # still be in flight when wrk stops, unanswered.
    sent = figures["sent"]
    assert sent == figures["next_n"] - figures["first_person"]
    assert figures["requests"] <= sent <= figures["requests"] + 1
    assert figures["no_code"] == sent - 3
    assert Member.objects.filter(phone=run.registration_phone(figures["first_person"])).exists()
    assert figures["errors"] == figures["requests"] - 3
    assert figures["note"].startswith("ran out of codes")
