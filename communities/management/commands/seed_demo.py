"""manage.py seed_demo: build the demo city (演示城市) and print the demo logins."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from communities.demo import DemoCityError, demo_city_build
from communities.demo.logins import SECOND_FACTOR_HINT


def _day(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--today 应为 YYYY-MM-DD 格式的日期：{text}") from error


class Command(BaseCommand):
    help = "建立演示城市（区县、街道、社区、单位、名单、党员、报到、需求、认领、服务记实）并打印演示登录账号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=3000,
            help="单位名单上的人数（默认 3000）；社区数 = 人数/100，街道 = 社区/20，区县 = 街道/10，单位 = 人数/200。",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="随机种子：同一种子、人数和日期得到同样的数据（默认 2026）。"
        )
        parser.add_argument("--reset", action="store_true", help="先删除全部业务数据和所有用户，再重建。")
        parser.add_argument(
            "--today", type=_day, default=None, metavar="YYYY-MM-DD",
            help="以这一天为“今天”建立演示城市（默认：当天）：需求、报到和服务记实的时间都相对于这一天；"
            "同一种子、人数和日期得到同样的数据。",
        )

    def handle(self, *args, members, seed, reset, today=None, **options):
        if members < 1:
            raise CommandError("--members 至少为 1")
        if isinstance(today, str):  # call_command(today="…") passes the text as it is
            today = _day(today)
        try:
            result = demo_city_build(members=members, seed=seed, today=today, reset=reset, stdout=self.stdout)
        except DemoCityError as error:
            raise CommandError(str(error)) from error
        if result.built:
            self.stdout.write(self.style.SUCCESS(f"演示城市已建成，用时 {result.seconds:.1f} s。"))
            self.stdout.write("，".join(f"{label} {rows:,}" for label, rows in result.summary))
        self.stdout.write("\n演示登录（所有账号密码相同，演示党员账号也共用此密码）：")
        width = max(len(login.username) for login in result.logins)
        for login in result.logins:
            mark = "  ＋双因素认证" if login.second_factor else ""
            self.stdout.write(f"  {login.username:<{width}}  {login.password}  {login.description}{mark}")
        if any(login.second_factor for login in result.logins):
            self.stdout.write(f"标“＋双因素认证”的账号输入密码后还要输入动态验证码：{SECOND_FACTOR_HINT}。")
