"""Is the demo city in the database the one `seed_demo --members N --seed S` builds? (Django must be set up.)

The places of the demo city are the first thing its places stage draws (communities/demo_city.py), so
replanning them with that stage's random stream for the same seed and size (no database, about a second) and
comparing every district, street and community code and name with the rows tells whether the city was built with
that seed and size. Then the units and roster
entries are counted and the demo logins are checked with the demo password. Members are not compared: the
registration benchmark adds members on purpose, so that table grows from run to run.
"""

import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password

from communities.demo import scale, stage_rng
from communities.demo.logins import DEMO_PASSWORD, ensure_logins, is_demo_device
from communities.demo.places import plan_places
from communities.demo_city import PLACES_STAGE
from communities.models import Community, District, Street, Unit
from communities.second_factor import (
    confirmed_device,
    current_code,
    current_code_used,
    requires_second_factor,
    seconds_left,
)
from registration.demo_city import MEMBER_LOGIN
from registration.models import Member, Report, RosterEntry, User

# Places and units the benchmark creates for the roster import (and deletes afterwards). No demo district
# code starts with 38 (the demo province is 39; 38 is no real province either).
BENCH_PLACE_PREFIX = "38"
BENCH_UNIT_PREFIX = "BENCHROSTER"
STAFF_LOGINS = ("admin", "org-city", "org-district", "street", "community", "community2", "unit")


@dataclass
class CityStatus:
    state: str  # "same": built with this seed and size; "empty": no districts; "different": something else
    reasons: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def _demo_districts():
    return District.objects.exclude(code__startswith=BENCH_PLACE_PREFIX)


def city_status(*, members: int, seed: int) -> CityStatus:
    if not _demo_districts().exists():
        return CityStatus(state="empty", reasons=["no districts: the demo city has not been built"])
    sizes = scale(members)
    plan = plan_places(rng=stage_rng(seed, PLACES_STAGE), sizes=sizes)
    reasons = []
    for label, model, planned in (
        ("districts", District, plan.districts),
        ("streets", Street, plan.streets),
        ("communities", Community, plan.communities),
    ):
        stored = list(
            model.objects.exclude(code__startswith=BENCH_PLACE_PREFIX).order_by("code").values_list("code", "name")
        )
        expected = sorted((place.code, place.name) for place in planned)
        if stored != expected:
            reasons.append(f"{label}: {len(stored):,} in the database, {len(expected):,} planned, or names differ")
    demo_units = Unit.objects.exclude(code__startswith=BENCH_UNIT_PREFIX)
    counts = {
        "units": demo_units.count(),
        "roster": RosterEntry.objects.filter(unit__in=demo_units).count(),
        "members": Member.objects.count(),
        "reports": Report.objects.count(),
    }
    if counts["units"] != sizes["units"]:
        reasons.append(f"units: {counts['units']:,}, expected {sizes['units']:,}")
    if counts["roster"] != members:
        reasons.append(f"roster entries: {counts['roster']:,}, expected {members:,}")
    for username in (*STAFF_LOGINS, MEMBER_LOGIN):
        if not User.objects.filter(username=username).exists():
            reasons.append(f"login {username} is missing")
    for username in ("org-city", "community", MEMBER_LOGIN):
        stored = User.objects.filter(username=username, is_active=True).values_list("password", flat=True).first()
        if stored is None or not check_password(DEMO_PASSWORD, stored):
            reasons.append(f"login {username} is inactive or does not accept the demo password")
    if not Report.objects.filter(member__user__username=MEMBER_LOGIN, status=Report.Status.CONFIRMED).exists():
        reasons.append(f"member {MEMBER_LOGIN} has no confirmed report")
    return CityStatus(state="different" if reasons else "same", reasons=reasons, counts=counts)


def demo_second_factors_ready() -> None:
    """Give the demo logins that need a second factor their demo device (DEMO_TOTP_SECRET) where they have none,
    as `seed_demo` does on a city built before the second factor existed. Nothing else changes."""
    ensure_logins(overwrite=False)


def second_factor_for(username: str):
    """For bench.web.login: None when the account needs no second factor; otherwise a function that returns a
    code of its demo device not used yet. When the current one was (the same account logging in twice within 30
    seconds), it waits for the next."""
    user = User.objects.get(username=username)
    if not requires_second_factor(user):
        return None
    device = confirmed_device(user)
    if not is_demo_device(device):
        raise SystemExit(f"bench: {username} needs a second factor and has no demo device: run seed_demo first")

    def code() -> str:
        device.refresh_from_db()
        while current_code_used(device):
            time.sleep(seconds_left(device) + 0.2)
            device.refresh_from_db()
        return current_code(device)

    return code
