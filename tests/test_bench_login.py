"""The benchmark logs in through the login form, the org department through the second factor too
(bench/web.py `login`, bench/city.py `second_factor_for`), against a live server."""

import datetime
import urllib.parse

import pytest
import time_machine

from bench import web
from bench.city import second_factor_for
from communities.demo.logins import DEMO_PASSWORD, ensure_demo_device
from communities.models import StaffAssignment
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def port_of(live_server) -> int:
    return urllib.parse.urlsplit(live_server.url).port


def test_the_benchmark_passes_the_org_departments_second_factor_twice_in_a_row(live_server, monkeypatch):
    org = make_staff(StaffAssignment.Role.ORG_DEPARTMENT, is_staff=True)
    org.set_password(DEMO_PASSWORD)
    org.save()
    ensure_demo_device(org, overwrite=True)
    port = port_of(live_server)
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0, 0, tzinfo=datetime.UTC)) as clock:
        slept = []
        # The wait for the next code, without waiting: the clock (the live server's too) jumps instead.
        monkeypatch.setattr("bench.city.time.sleep", lambda seconds: (slept.append(seconds), clock.shift(seconds)))
        for _ in range(2):  # the second login must wait for a code not used yet
            cookies = web.login(port, org.username, DEMO_PASSWORD, second_factor=second_factor_for(org.username))
            assert web.request(port, "GET", "/admin/rates/", cookies=cookies).status == 200
    assert len(slept) == 1 and 0 < slept[0] <= 30.2


def test_without_the_second_step_the_org_department_is_held(live_server):
    org = make_staff(StaffAssignment.Role.ORG_DEPARTMENT, is_staff=True)
    port = port_of(live_server)
    cookies = web.login(port, org.username, "Test2026pass")
    answer = web.request(port, "GET", "/admin/rates/", cookies=cookies)
    assert answer.status == 302 and answer.headers["location"].startswith(web.SECOND_FACTOR_PATH)


def test_a_member_needs_no_second_step(live_server):
    member = factories.MemberFactory()
    assert second_factor_for(member.user.username) is None
    cookies = web.login(port_of(live_server), member.user.username, "Test2026pass")
    assert web.request(port_of(live_server), "GET", "/registration/me/", cookies=cookies).status == 200
