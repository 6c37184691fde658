"""Flow 10 in a browser, at phone size (390 px), every page checked with axe-core and for sideways scrolling: a
resident's request becomes a council topic, a meeting is announced, held with all four parties, a resolution passes
with each party's position, the property company's contact reports progress with a photo, the residents'
representative accepts it, the public page shows it and the requester reads that the council took it up."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from communities.models import Notification
from services.council.models import Meeting, Party, ProgressPhoto, Resolution
from services.requests import services as request_ops
from tests import factories
from tests.council.conftest import phone_staff, seat_council
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_walk import AXE, AXE_RUN, MEASURE, SCREENS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Checked:
    """Runs axe-core and the sideways-scroll measure on each page it is shown; collects what fails."""

    def __init__(self):
        self.axe = AXE.read_text()
        self.problems = []

    def __call__(self, page, label):
        page.wait_for_load_state("load")
        measured = page.evaluate(MEASURE)
        if measured["scroll"] > 0:
            self.problems.append(f"{label}: scrolls sideways by {measured['scroll']} px")
        if measured["wrapped"]:
            self.problems.append(f"{label}: navigation labels wrapped: {measured['wrapped']}")
        page.evaluate(self.axe)
        self.problems += [f"{label}: axe {violation}" for violation in page.evaluate(AXE_RUN)]
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"council-{re.sub(r'[^a-z0-9]+', '-', label)}.png"), full_page=True)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_request_becomes_a_topic_decided_carried_out_and_accepted(live_server, browser, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    community = factories.CommunityFactory(name="幸福里社区")
    staff = phone_staff(community, "13900000004")
    staff.full_name = "社工陈静"
    staff.save()
    world = seat_council(community, staff=staff)
    request_obj = request_ops.request_raise(community=community, category="complaint", phone="13912345678",
                                            text="楼道里有人给电动车充电，电线拖地，很危险")
    check = Checked()
    desk = browser.new_context(**PHONE).new_page()

    # The community's staff bring the request to the council.
    log_in_with_password(desk, live_server, staff.username)
    desk.wait_for_load_state("load")
    desk.goto(f"{live_server.url}/council/")
    check(desk, "staff council list")
    desk.get_by_role("link", name="幸福里社区").click()
    check(desk, "staff council page")
    desk.get_by_role("link", name="从居民诉求提出议题").click()
    desk.get_by_label("居民诉求").select_option(index=1)
    desk.get_by_label("议题").fill("电动自行车充电难")
    desk.get_by_label("需要议事会议定的事项").fill("楼道充电隐患大，议定是否在北门建集中充电点。")
    check(desk, "topic from a request form")
    desk.get_by_role("button", name="提交议事会").click()
    expect(desk.locator(".topic-row")).to_contain_text("电动自行车充电难")

    # A meeting is announced four days ahead: every member is told by inbox and SMS.
    desk.get_by_role("link", name="发布会议通知").first.click()
    starts = timezone.localtime() + datetime.timedelta(days=4)
    desk.get_by_label("日期和时间").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_label("地点").fill("社区议事厅")
    desk.get_by_label("电动自行车充电难").check()
    check(desk, "announce form")
    desk.get_by_role("button", name="发布会议通知").click()
    desk.locator("#confirm-dialog").get_by_role("button", name="确定").click()  # the one confirm step
    expect(desk.locator("#meeting-status")).to_contain_text("已发布通知")
    check(desk, "announced meeting")
    assert Notification.objects.filter(kind="council-meeting", channel="sms").count() == 4

    # The day comes (the clock moved on in the database); the meeting is held with all four parties.
    meeting = Meeting.objects.get()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=2))
    desk.reload()
    for checkbox in desk.locator("input[name=present]").all():
        checkbox.check()
    desk.get_by_label("会议纪要").fill("四方到会。物业介绍北门空地条件，居民代表转达住户意见。")
    check(desk, "record the meeting")
    desk.get_by_role("button", name="记录会议").click()
    desk.locator("#confirm-dialog").get_by_role("button", name="确定").click()  # the one confirm step
    expect(desk.locator("#meeting-status")).to_contain_text("已召开")
    expect(desk.locator(".attendance-row")).to_have_count(4)

    # The resolution passes with each party's position.
    desk.get_by_role("link", name="记录表决结果").click()
    positions = {"branch": "for", "residents": "for", "property": "for", "staff": "abstain"}
    for party, position in positions.items():
        desk.locator(f"input[name=position_{party}][value={position}]").check()
    desk.get_by_label("决议", exact=True).fill("物业在北门空地建设集中充电点，安装20个充电桩。")
    desk.get_by_label("落实主体").select_option(label=f"{world.company.name}（物业公司）")
    desk.get_by_label("完成时限").fill((timezone.localdate() + datetime.timedelta(days=30)).isoformat())
    check(desk, "decision form")
    desk.get_by_role("button", name="记录表决结果").click()
    desk.locator("#confirm-dialog").get_by_role("button", name="确定").click()  # the one confirm step
    expect(desk.locator(".agenda-item")).to_have_attribute("data-outcome", "passed")
    expect(desk.locator(".positions")).to_contain_text("社区工作人员：弃权")
    resolution = Resolution.objects.get()
    assert dict(resolution.item.positions.values_list("party", "position")) == {
        Party.BRANCH: "for", Party.RESIDENTS: "for", Party.PROPERTY: "for", Party.STAFF: "abstain"}

    # The property company's contact reports the work done, with a photo.
    company = browser.new_context(**PHONE).new_page()
    log_in_with_password(company, live_server, world.contact.username)
    company.wait_for_url(re.compile(r"/council/$"))
    check(company, "company home")
    company.locator(".handed-resolution a").click()
    company.get_by_label("进度（%）").fill("100")
    company.get_by_label("已做的工作").fill("20个充电桩已安装通电，楼道充电已清理。")
    company.get_by_label("照片").set_input_files(files=[{"name": "charging.png", "mimeType": "image/png",
                                                      "buffer": png_bytes()}])
    check(company, "progress form")
    company.get_by_role("button", name="报告进展").click()
    expect(company.locator("#resolution-status")).to_contain_text("已完成，待验收")
    photo = company.locator("img.progress-photo")
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()  # a lazily loaded image loads once it is near the screen
    company.wait_for_function("() => document.querySelector('img.progress-photo').complete")
    assert company.evaluate("document.querySelector('img.progress-photo').naturalWidth") == 64
    assert ProgressPhoto.objects.count() == 1
    check(company, "resolution done")

    # The residents' representative accepts it.
    resident = browser.new_context(**PHONE).new_page()
    log_in_with_password(resident, live_server, world.resident.username)
    resident.wait_for_url(re.compile(r"/council/$"))
    resident.goto(f"{live_server.url}/council/resolutions/{resolution.pk}/")
    check(resident, "representative's resolution page")
    resident.get_by_label("验收通过").check()
    resident.get_by_role("button", name="提交意见").click()
    resident.locator("#confirm-dialog").get_by_role("button", name="确定").click()
    expect(resident.locator("#resolution-status")).to_contain_text("居民已验收")
    # A representative sees no other council's pages and no staff page.
    assert resident.goto(f"{live_server.url}/requests/staff/").status == 403

    # The public page (no login) shows the meeting, the positions and the accepted resolution, naming nobody.
    public = browser.new_context(**PHONE).new_page()
    public.goto(f"{live_server.url}/council/c/{community.code}/")
    expect(public.locator(".public-meeting")).to_contain_text("电动自行车充电难")
    expect(public.locator(".public-resolution")).to_contain_text("居民已验收")
    expect(public.locator(".public-resolution progress")).to_have_attribute("value", "100")
    text = public.locator("main").inner_text()
    for private in ("赵代表", "王经理", "李支书", "社工陈静", "13912345678"):
        assert private not in text
    check(public, "public council page")

    # The requester reads, on the request's own page, that the council took it up; its handler is told of the
    # acceptance, to close it.
    public.goto(f"{live_server.url}/requests/t/{request_obj.token}/")
    expect(public.locator("main")).to_contain_text("四方议事会")
    check(public, "the resident's tracking page")
    assert Notification.objects.filter(user=staff, title__contains=f"#{request_obj.pk}").exists()

    assert not check.problems, "\n".join(check.problems)
