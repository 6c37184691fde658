import re

import pytest
from playwright.sync_api import expect

from communities.sms import LocmemSmsBackend
from registration.models import Member, Report
from tests import factories
from tests.e2e.conftest import CHROMIUM  # noqa: F401  (the browser fixture needs it installed)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_member_registers_on_a_phone_and_prints_the_letter(live_server, phone):
    district = factories.DistrictFactory(name="城关区")
    street = factories.StreetFactory(district=district, name="新华街道")
    community = factories.CommunityFactory(street=street, name="卧虎湾社区")
    factories.CommunityFactory(name="别的社区")
    unit = factories.UnitFactory(district=None, name="市财政局", party_organisation="中共市财政局机关委员会")
    factories.SkillFactory(name="法律咨询")

    LocmemSmsBackend.outbox = []
    phone.goto(f"{live_server.url}/registration/register/")
    # The phone first: a code is sent to it, and typed back (issue 18).
    phone.get_by_label("手机号码").fill("13912345678")
    with phone.expect_navigation():
        phone.get_by_role("button", name="获取验证码").click()
    phone.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["params"]["code"])
    phone.get_by_label("姓名").fill("王晓红")
    phone.get_by_role("textbox", name="身份证号码").fill(factories.valid_id_number(41))
    # Each choice re-posts the form to narrow the next list; what was typed survives.
    with phone.expect_navigation():
        phone.get_by_label("单位所属").select_option(label="市直单位")
    phone.get_by_label("工作单位").select_option(label=unit.name)
    phone.get_by_label("现任职务").fill("科员")
    phone.get_by_label("法律咨询").check()
    phone.get_by_label("家庭住址").fill("幸福路12号3单元")
    with phone.expect_navigation():
        phone.get_by_label("区/县").select_option(label="城关区")
    with phone.expect_navigation():
        phone.get_by_label("街道/镇").select_option(label="新华街道")
    phone.get_by_label("报到社区").select_option(label="卧虎湾社区")
    assert phone.get_by_label("姓名").input_value() == "王晓红"
    phone.locator("#id_password1").fill("Hongqi2026go")
    phone.locator("#id_password2").fill("Hongqi2026go")
    phone.get_by_label("我已阅读并同意隐私告知").check()
    phone.get_by_label(re.compile("我单独同意")).check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="注册并报到").click()

    phone.wait_for_url(re.compile(r"/registration/letters/\d+/$"))
    member = Member.objects.get()
    report = member.reports.get()
    assert (report.community, report.status, member.unit) == (community, Report.Status.PENDING, unit)
    assert list(member.skills.values_list("name", flat=True)) == ["法律咨询"]
    assert phone.locator(".letter-number").inner_text() == report.letter_number
    assert phone.locator(".qr svg").count() == 1
    expect(phone.locator(".letter h1")).to_have_css("text-align", "center")  # letter.css, a static file

    # The print button is wired by js/print.js (no inline handler); window.print is stood in for.
    phone.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    phone.get_by_role("button", name="打印").click()
    assert phone.evaluate("window.printed") == 1

    phone.emulate_media(media="print")
    assert not phone.locator("nav").is_visible()
    assert not phone.get_by_role("button", name="打印").is_visible()
    pdf = phone.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
