"""manage.py seed_demo: build the demo city (演示城市) and print the demo logins."""

from django.core.management.base import BaseCommand, CommandError

from communities.models import Community, Unit
from registration.models import Member, Report, RosterEntry
from services.demo import DemoCityError, demo_city_build
from services.demo.logins import SECOND_FACTOR_HINT
from services.models import Claim, ServiceNeed, ServiceRecord

# What the summary line counts, in the order it names them.
SUMMARY = (
    (Community, "社区/村"), (Unit, "单位"), (RosterEntry, "名单"), (Member, "党员"), (Report, "报到"),
    (ServiceNeed, "需求"), (Claim, "认领"), (ServiceRecord, "服务记实"),
)


class Command(BaseCommand):
    help = "建立演示城市（区县、街道、社区、单位、名单、党员、报到、需求、认领、服务记实）并打印演示登录账号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=3000,
            help="单位名单上的人数（默认 3000）；社区数 = 人数/100，街道 = 社区/20，区县 = 街道/10，单位 = 人数/200。",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="随机种子：同一种子和人数得到同样的数据（默认 2026）。"
        )
        parser.add_argument("--reset", action="store_true", help="先删除全部业务数据和所有用户，再重建。")

    def handle(self, *args, members, seed, reset, **options):
        if members < 1:
            raise CommandError("--members 至少为 1")
        try:
            result = demo_city_build(members=members, seed=seed, reset=reset, stdout=self.stdout)
        except DemoCityError as error:
            raise CommandError(str(error)) from error
        if result.built:
            self.stdout.write(self.style.SUCCESS(f"演示城市已建成，用时 {result.seconds:.1f} s。"))
            self.stdout.write("，".join(
                f"{label} {result.rows.get(model._meta.db_table, 0):,}" for model, label in SUMMARY
            ))
        self.stdout.write("\n演示登录（所有账号密码相同，演示党员账号也共用此密码）：")
        width = max(len(login.username) for login in result.logins)
        for login in result.logins:
            mark = "  ＋双因素认证" if login.second_factor else ""
            self.stdout.write(f"  {login.username:<{width}}  {login.password}  {login.description}{mark}")
        if any(login.second_factor for login in result.logins):
            self.stdout.write(f"标“＋双因素认证”的账号输入密码后还要输入动态验证码：{SECOND_FACTOR_HINT}。")
