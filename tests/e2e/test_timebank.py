"""Flow 11 in a browser at phone size (issue 23's "Done when", the pairing ledger aside): verified service credits a
member, who gives credits to a family member and redeems goods at the 爱心超市 counter (staff scan the member's code,
the member confirms on the phone); a reversal fixes a mistake; reconcile_ledger reports nothing. Then axe and the
phone measurements over every page of the time bank, the member's and the staff's."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from registration.models import Report
from services.models import ServiceRecord
from services.timebank.models import Account, Goods, Redemption, Transfer
from services.timebank.views import member_token
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_walk import WIDTHS, walk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    log_in_with_password(page, live_server, username)
    page.wait_for_url(re.compile(r"/(registration|admin|timebank|services)/"))


def confirm(page):
    """The one confirm dialog (static/js/confirm.js) asks once; say yes."""
    page.locator("#confirm-dialog-ok").click()


def test_service_credits_a_member_who_gives_and_redeems_and_a_reversal_fixes_a_mistake(live_server, browser,
                                                                                       capsys):
    community = factories.CommunityFactory(name="金塔巷社区")
    staff = make_staff("community", community=community)
    member = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED,
                                     member=factories.MemberFactory(name="王晓红")).member
    from decimal import Decimal

    record = factories.ServiceRecordFactory(member=member, community=community, hours=Decimal("6.0"))
    desk = browser.new_context(**PHONE).new_page()
    phone = browser.new_context(**PHONE).new_page()

    # Staff verify the service: the hours become honour hours and credits.
    log_in(desk, live_server, staff.username)
    desk.goto(f"{live_server.url}/staff/records/")
    desk.locator(f"form[action$='/records/{record.pk}/verify/'] button").click()
    confirm(desk)
    expect(desk.locator(f"#record-{record.pk}")).to_contain_text("已审核")
    log_in(phone, live_server, member.user.username)
    phone.goto(f"{live_server.url}/timebank/")
    expect(phone.locator("[data-figure=honour]")).to_contain_text("6")
    expect(phone.locator("[data-figure=credits]")).to_contain_text("6")

    # The member adds a family member and gives her credits: by mistake 4 instead of 1.
    phone.goto(f"{live_server.url}/timebank/family/")
    phone.locator("[name=name]").fill("王秀英")
    phone.locator("[name=relation]").fill("母亲")
    phone.get_by_role("button", name="添加", exact=True).click()
    phone.goto(f"{live_server.url}/timebank/gift/")
    phone.locator("[name=amount]").fill("4")
    phone.get_by_role("button", name="转赠积分").click()
    confirm(phone)
    expect(phone.locator("[data-figure=credits]")).to_contain_text("2")
    expect(phone.locator(".family-balance")).to_contain_text("4")
    gift = Transfer.objects.get(kind="gift")

    # Staff reverse the mistaken gift with a reason; the member gives the right amount.
    desk.goto(f"{live_server.url}/timebank/staff/transfers/?kind=gift")
    desk.locator(f"#reason-{gift.pk}").fill("金额填错，应为1")
    desk.locator(f"form[action$='/transfers/{gift.pk}/reverse/'] button").click()
    confirm(desk)
    expect(desk.locator(".transfer-row .badge")).to_have_count(1)
    phone.goto(f"{live_server.url}/timebank/gift/")
    phone.locator("[name=amount]").fill("1")
    phone.get_by_role("button", name="转赠积分").click()
    confirm(phone)
    expect(phone.locator("[data-figure=credits]")).to_contain_text("5")

    # Goods are donated to the 爱心超市.
    desk.goto(f"{live_server.url}/timebank/staff/goods/")
    desk.locator("[name=goods-name]").fill("大米 5kg")
    desk.locator("[name=goods-price]").fill("3")
    desk.get_by_role("button", name="添加物品").click()
    desk.locator("[name=donation-quantity]").fill("2")
    desk.locator("[name=donation-donor]").fill("幸福超市")
    desk.get_by_role("button", name="登记捐赠").click()
    expect(desk.locator(".goods-list .stock")).to_have_text("2")

    # At the counter: the member shows the code; staff's camera opens its link; staff enter the goods.
    phone.goto(f"{live_server.url}/timebank/my-code/")
    expect(phone.locator("#code-qr svg")).to_be_visible()
    desk.goto(f"{live_server.url}/timebank/staff/counter/?token={member_token(member.pk)}")
    expect(desk.locator(".card").first).to_contain_text("王晓红")
    desk.locator("[name=quantity]").fill("1")
    desk.get_by_role("button", name="请党员在手机上确认").click()
    expect(desk.locator(".redemption-row").first).to_contain_text("大米 5kg")

    # The member confirms on the phone: the credits go, the rice leaves the shelf.
    phone.goto(f"{live_server.url}/timebank/")
    phone.locator(f"a[href$='/redemption/{Redemption.objects.get().pk}/']").click()
    phone.get_by_role("button", name="确认并领取物品").click()
    expect(phone.locator("[data-figure=credits]")).to_contain_text("2")
    assert Goods.objects.get().stock == 1
    assert Account.objects.get(community=community, kind="market").balance == 30

    # The ledger reconciles.
    call_command("reconcile_ledger")
    assert "✗" not in capsys.readouterr().err
    assert ServiceRecord.objects.get().status == "verified"


def test_the_time_bank_pages_pass_axe_at_phone_width(live_server, browser):
    community = factories.CommunityFactory(name="金塔巷社区")
    staff = make_staff("community", community=community)
    member = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED).member
    from services.timebank import services as bank
    from tests.timebank.helpers import verified_record

    verified_record(member, community, "6.0")
    mother = bank.family_add(member=member, name="王秀英", relation="母亲")
    bank.gift_to_family(member=member, family_id=mother.pk, tenths=10)
    goods = bank.goods_create(user=staff, community=community, name="食用油", price_tenths=20)
    bank.goods_donate(user=staff, goods_id=goods.pk, quantity=3, donor="爱心企业")
    redemption = bank.redemption_start(user=staff, member=member, goods_id=goods.pk, quantity=1)
    bank.service_request_create(member=member, community=community, title="上门理发", description="", tenths=5)
    member_paths = ["/timebank/", "/timebank/statement/", "/timebank/family/", "/timebank/gift/",
                    "/timebank/request/", "/timebank/market/", "/timebank/my-code/",
                    f"/timebank/redemption/{redemption.pk}/", "/registration/me/"]
    staff_paths = ["/timebank/staff/", f"/timebank/staff/counter/?token={member_token(member.pk)}",
                   "/timebank/staff/goods/", "/timebank/staff/statement/", "/timebank/staff/transfers/",
                   "/timebank/staff/requests/", "/timebank/staff/fund/"]
    phone_only = {"phone": WIDTHS["phone"]}
    problems = walk(browser, live_server, "member-timebank", member_paths, widths=phone_only,
                    log_in=lambda page: log_in(page, live_server, member.user.username))
    problems += walk(browser, live_server, "staff-timebank", staff_paths, widths=phone_only,
                     log_in=lambda page: log_in(page, live_server, staff.username))
    assert not problems, "\n".join(problems)
