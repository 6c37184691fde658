"""manage.py demo_totp: the current second-factor codes of the demo logins, so that the demo needs no phone."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from communities.demo.logins import (
    DEMO_TOTP_SECRET,
    demo_second_factor_devices,
    is_demo_device,
    non_demo_second_factor_accounts,
)
from communities.second_factor import current_code, seconds_left


class Command(BaseCommand):
    help = (
        "打印需要双因素认证的演示账号当前的动态验证码（只打印使用公开演示密钥的设备）。"
        "仅用于演示数据：DEBUG 关闭时，只有当数据库中需要双因素认证的账号全部是使用演示密钥的演示账号时才运行。"
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            others = non_demo_second_factor_accounts()
            if others:
                raise CommandError(
                    "DEBUG 已关闭，且数据库中有不属于演示数据的双因素认证账号（"
                    + "、".join(others[:5])
                    + ("等" if len(others) > 5 else "")
                    + "）：本命令只用于演示数据库，拒绝运行。"
                )
        rows = demo_second_factor_devices()
        if not rows:
            raise CommandError("没有需要双因素认证的演示账号：请先运行 python manage.py seed_demo。")
        width = max(len(username) for username, _device in rows)
        left = next((seconds_left(device) for _username, device in rows if is_demo_device(device)), None)
        heading = "演示账号当前的动态验证码"
        if left is not None:
            heading += f"（{left} 秒后更换；每个验证码每个账号只能用一次，重复登录请等下一个）"
        self.stdout.write(heading + "：")
        for username, device in rows:
            if is_demo_device(device):
                shown = current_code(device)
            elif device is None:
                shown = "（未设置：登录后按页面提示设置）"
            else:
                shown = "（已另行设置验证器，不显示）"
            self.stdout.write(f"  {username:<{width}}  {shown}")
        self.stdout.write(
            f"也可以在验证器应用中添加密钥 {DEMO_TOTP_SECRET}（基于时间，6 位，30 秒），所有演示账号相同。"
        )
