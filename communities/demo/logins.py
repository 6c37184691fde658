"""The demo logins (one per role) and the staff account of every community.

Logins of the upper apps (the demo member) are added by their demo_city.py (registry.demo_logins).
"""

import datetime
from base64 import b32decode
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.models import Community, District, StaffAssignment, Street, Unit
from communities.second_factor import accounts_requiring_second_factor, confirmed_device, requires_second_factor

from . import codes
from .loader import next_id
from .registry import registry

# One password for every demo account, members included (their users share one hash, computed once).
# Twelve characters, letters and digits: it passes the project's password validators. It is printed by
# seed_demo and in docs/SEED.md on purpose: demo data only.
DEMO_PASSWORD = "Demo2026pass"  # noqa: S105  # nosec B105
# The authenticator secret of every demo login that needs a second factor (base32, as typed into an app; 20 bytes).
# Public on purpose, like DEMO_PASSWORD: printed by seed_demo, in README.md and docs/SEED.md. Demo data only:
# `manage.py demo_totp` prints the codes of devices holding this secret and of no other device.
DEMO_TOTP_SECRET = "DEMOTOTPSECRETNOTFORREALACCOUNTS"  # noqa: S105  # nosec B105
DEMO_TOTP_KEY = b32decode(DEMO_TOTP_SECRET).hex()  # TOTPDevice.key is hex
SECOND_FACTOR_HINT = (
    f"运行 python manage.py demo_totp 查看当前的动态验证码，或在验证器应用中添加密钥 {DEMO_TOTP_SECRET}"
)
# The staff logins, in the order _staff_specs makes them.
STAFF_USERNAMES = (
    "admin", "sysadmin", "secadmin", "auditor", "org-city", "org-district", "street", "community", "community2", "unit",
)
Role = StaffAssignment.Role


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    description: str
    second_factor: bool = False  # asks for a code after the password (DEMO_TOTP_SECRET)


def _staff_specs():
    """(username, full name, description, user flags, assignment) for each staff login, from the rows in the
    database, first by code; community2 is the first community of the second street, for scope tests.
    """
    district = District.objects.order_by("code").first()
    streets = list(Street.objects.order_by("code")[:2])
    community = Community.objects.order_by("code").first()
    community2 = Community.objects.filter(street=streets[-1]).order_by("code").first()
    unit = Unit.objects.order_by("code").first()
    return [
        ("admin", "应急管理员", "超级管理员（应急用，日常工作不需要）", {"is_superuser": True, "is_staff": True}, None),
        ("sysadmin", "周建华", "系统管理员（账号、地区单位、定时任务）", {"is_staff": True},
         {"role": Role.SYSTEM_ADMIN}),
        ("secadmin", "吴静", "安全管理员（角色授权）", {"is_staff": True}, {"role": Role.SECURITY_ADMIN}),
        ("auditor", "郑敏", "审计管理员（只读审计记录）", {"is_staff": True}, {"role": Role.AUDIT}),
        ("org-city", "张建国", "组织部（全市）", {"is_staff": True}, {"role": Role.ORG_DEPARTMENT, "district": None}),
        ("org-district", "李红梅", f"组织部（{district.name}）", {"is_staff": True},
         {"role": Role.ORG_DEPARTMENT, "district": district}),
        ("street", "王志强", f"街道工作人员（{streets[0].name}）", {},
         {"role": Role.STREET_STAFF, "street": streets[0]}),
        ("community", "刘秀英", f"社区工作人员（{community.name}，{streets[0].name}）", {},
         {"role": Role.COMMUNITY_STAFF, "community": community}),
        ("community2", "陈晓东", f"社区工作人员（{community2.name}，{streets[-1].name}）", {},
         {"role": Role.COMMUNITY_STAFF, "community": community2}),
        ("unit", "赵丽娟", f"单位联络员（{unit.name}）", {}, {"role": Role.UNIT_LIAISON, "unit": unit}),
    ]


def ensure_logins(*, password_hash=None, overwrite: bool) -> dict:
    """Make sure every staff login exists with its assignment, and the demo second-factor device for those that need
    one (ensure_demo_device); return {username: user}.

    overwrite (a fresh build): existing users of these names get the demo password and flags back.
    Otherwise only missing users are created, and nobody's changed password is touched.
    """
    user_model = get_user_model()
    users = {}
    for username, full_name, _description, flags, assignment in _staff_specs():
        user = user_model.objects.filter(username=username).first()
        if user is None or overwrite:
            if password_hash is None:
                password_hash = make_password(DEMO_PASSWORD)
            user = user or user_model(username=username)
            user.full_name, user.password, user.is_active = full_name, password_hash, True
            for flag, value in flags.items():
                setattr(user, flag, value)
            user.save()
        if assignment is not None:
            StaffAssignment.objects.get_or_create(user=user, **assignment)
        if requires_second_factor(user):
            ensure_demo_device(user, overwrite=overwrite)
        users[username] = user
    return users


def ensure_demo_device(user, *, overwrite: bool) -> None:
    """A confirmed TOTP device with DEMO_TOTP_SECRET for a demo login that needs a second factor, so that the demo
    needs no phone. overwrite (a fresh build): it replaces the account's devices. Otherwise it is added only to an
    account with no confirmed device: a device someone enrolled by hand is kept."""
    devices = TOTPDevice.objects.filter(user=user)
    if overwrite:
        devices.delete()
    elif devices.filter(confirmed=True).exists():
        return
    TOTPDevice.objects.create(user=user, name="demo", key=DEMO_TOTP_KEY, confirmed=True)


def is_demo_device(device) -> bool:
    return device is not None and device.key.lower() == DEMO_TOTP_KEY


def demo_second_factor_devices() -> list[tuple[str, TOTPDevice | None]]:
    """(username, confirmed device or None) of each demo login present that needs a second factor, in the order
    of the printed logins."""
    users = {user.username: user for user in get_user_model().objects.filter(username__in=STAFF_USERNAMES)}
    return [
        (username, confirmed_device(users[username]))
        for username in STAFF_USERNAMES
        if username in users and requires_second_factor(users[username])
    ]


def non_demo_second_factor_accounts() -> list[str]:
    """The accounts that need a second factor and are not demo logins holding the demo device: none in a demo
    database (the rule that lets demo_totp run with DEBUG off)."""
    # Every community's demo staff account (sq<code>) holds the demo device as well: one query for them all.
    demo_device = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True, key__iexact=DEMO_TOTP_KEY)
    generated = accounts_requiring_second_factor().filter(username__regex=r"^sq[0-9]+$").filter(Exists(demo_device))
    found = []
    for user in accounts_requiring_second_factor().exclude(pk__in=generated.values("pk")).order_by("username"):
        if user.username not in STAFF_USERNAMES or not is_demo_device(confirmed_device(user)):
            found.append(user.username)
    return found


def describe_logins() -> list[DemoLogin]:
    """The logins to print, as they are in the database now: the staff logins, then those the stages add
    (the member login)."""
    second_factor = {username for username, _device in demo_second_factor_devices()}
    logins = [
        DemoLogin(
            username=username, password=DEMO_PASSWORD, description=description, second_factor=username in second_factor
        )
        for username, _full_name, description, _flags, _assignment in _staff_specs()
    ]
    for login_list in registry.ordered_login_lists():
        logins.extend(login_list.run())
    return logins


def load_community_staff(*, rng, city, loader, reference_at, password_hash, login_users):
    """One staff account per community, who confirms its reports and verifies its records.

    The first community's staff is the `community` login and the second street's first community's is
    `community2`; the others are sq<community code>. Returns the staff user id of each community, by index.
    """
    by_code = {city.communities[0].code: login_users["community"].pk}
    second = next(community for community in city.communities if community.street == 1)
    by_code[second.code] = login_users["community2"].pk
    user_model = get_user_model()
    users = loader.writer(user_model, ["id", "username", "password", "full_name", "is_active", "date_joined"])
    assignments = loader.writer(StaffAssignment, ["id", "user", "role", "community", "created_at"])
    # Community staff confirm with a second factor: each holds the demo device, as the printed logins do.
    devices = loader.writer(TOTPDevice, ["id", "user", "name", "key", "confirmed"])
    device_id = next_id(TOTPDevice)
    names = codes.PersonNames(rng)
    joined = reference_at - datetime.timedelta(days=400)
    user_id, assignment_id = next_id(user_model), next_id(StaffAssignment)
    staff_ids = []
    for community in city.communities:
        if community.code in by_code:
            staff_ids.append(by_code[community.code])
            continue
        users.add((user_id, f"sq{community.code}", password_hash, names.draw("F" if rng.random() < 0.6 else "M"), True,
                   joined))
        assignments.add((assignment_id, user_id, Role.COMMUNITY_STAFF.value, community.id, joined))
        devices.add((device_id, user_id, "demo", DEMO_TOTP_KEY, True))
        device_id += 1
        staff_ids.append(user_id)
        user_id += 1
        assignment_id += 1
    return staff_ids
