"""demo_city_build: the whole demo city in one transaction, deterministic for a seed and a size."""

import datetime
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from communities.models import Community, District, Pairing, StaffAssignment, Street, Unit
from registration.models import Member, Report, RosterEntry, Skill, User
from registration.rates.tallies import tally_rebuild
from services.models import Assessment, Claim, ServiceNeed, ServiceRecord

from . import loader as bulk
from . import words
from .logins import DEMO_PASSWORD, describe_logins, ensure_logins, load_community_staff
from .needs import load_needs
from .people import load_people
from .places import load_places, plan_places, plan_units, scale

# "Now" for the demo city: every time is relative to it, so the same seed gives the same rows on any day.
# It is a date already past when this was written, so no service is ever dated in the future.
REFERENCE_AT = datetime.datetime(2026, 11, 16, 18, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
# Tables that must be empty for a build without --reset (users and skills may already exist).
_MUST_BE_EMPTY = (Street, Community, Unit, Pairing, RosterEntry, Member, Report, ServiceNeed, Claim, ServiceRecord,
                  Assessment)
_LOADED = (District, Street, Community, Unit, Pairing, User, StaffAssignment, RosterEntry, Member, Report,
           ServiceNeed, Claim, ServiceRecord)


class DemoCityError(Exception):
    """The demo city cannot be built on the database as it is; the message says what to do."""


@dataclass
class DemoResult:
    built: bool
    logins: list
    rows: dict = field(default_factory=dict)  # table → rows written
    seconds: float = 0.0


class _Progress:
    """Prints one line per table with rows and database seconds, and phase times since the start."""

    def __init__(self, stdout):
        self.stdout = stdout
        self.started = self.phase_started = time.perf_counter()
        self.rows = {}

    def say(self, text):
        self.stdout.write(text + "\n")

    def phase(self, label, writers=()):
        now = time.perf_counter()
        for writer in writers:
            self.rows[writer.table] = self.rows.get(writer.table, 0) + writer.count
            self.say(f"    {writer.table:<34}{writer.count:>11,} 行   写入数据库 {writer.seconds:6.1f} s")
        self.say(f"  {label}：{now - self.phase_started:.1f} s（累计 {now - self.started:.1f} s）")
        self.phase_started = now


def _skill_ids() -> dict:
    return {name: Skill.objects.get_or_create(name=name)[0].pk for name in words.SKILLS}


def demo_city_build(*, members: int = 3000, seed: int = 2026, reset: bool = False, stdout) -> DemoResult:
    """Build the demo city: `members` people on the units' rosters and everything around them.

    Without reset, a database that already has districts is left as it is: only missing demo logins are
    created. With reset, all domain data and all users are deleted first. The same seed and size give the
    same names, codes, phones, ID number hashes, statuses and times (ciphertexts differ by their random IV).
    Raises DemoCityError if the database holds domain rows but no districts.
    """
    if members < 1:
        raise DemoCityError("--members 至少为 1")
    progress = _Progress(stdout)
    sizes = scale(members)
    heading = (
        f"建立演示城市：名单 {members:,} 人，{sizes['districts']:,} 个区县，{sizes['streets']:,} 个街道/镇，"
        f"{sizes['communities']:,} 个社区/村，{sizes['units']:,} 个单位（种子 {seed}，{connection.vendor}）"
    )
    with transaction.atomic():
        if reset:
            progress.say(heading)
            bulk.reset_domain_tables()
            progress.phase("清空原有数据")
        elif District.objects.exists():
            ensure_logins(overwrite=False)
            progress.say("演示城市已存在（demo city already present），未重建；加 --reset 可重建。")
            return DemoResult(built=False, logins=describe_logins(), seconds=time.perf_counter() - progress.started)
        else:
            not_empty = [model._meta.verbose_name for model in _MUST_BE_EMPTY if model.objects.exists()]
            if not_empty:
                raise DemoCityError(f"数据库中已有{', '.join(map(str, not_empty))}数据但没有区县：请加 --reset 重建。")
            progress.say(heading)

        bulk.check_constraints_per_statement()
        # Reproducible on purpose: the same seed must give the same city. Nothing here is a secret.
        rng = random.Random(seed)  # noqa: S311  # nosec B311
        # Hashed once: every demo account shares this hash (PBKDF2 costs a fifth of a second per call).
        password_hash = make_password(DEMO_PASSWORD)
        skill_ids = _skill_ids()
        city = plan_places(rng=rng, sizes=sizes)
        plan_units(rng=rng, city=city, count=sizes["units"])
        loader = bulk.BulkLoader()
        writers = load_places(rng=rng, city=city, loader=loader)
        loader.close(writers)
        progress.phase("区县、街道、社区、单位、结对", writers)

        login_users = ensure_logins(password_hash=password_hash, overwrite=True)
        staff_user_ids, writers = load_community_staff(
            rng=rng, city=city, loader=loader, reference_at=REFERENCE_AT, password_hash=password_hash,
            login_users=login_users,
        )
        loader.close(writers)
        progress.phase("演示登录与社区工作人员账号", writers)

        membership, writers = load_people(
            rng=rng, city=city, loader=loader, reference_at=REFERENCE_AT, roster_size=members,
            staff_user_ids=staff_user_ids, password_hash=password_hash, skill_ids=skill_ids, stdout=stdout,
        )
        loader.close(writers)
        progress.phase("名单、党员、账号、报到、自主服务记实", writers)

        writers = load_needs(
            rng=rng, city=city, loader=loader, reference_at=REFERENCE_AT, membership=membership,
            staff_user_ids=staff_user_ids, skill_ids=skill_ids, stdout=stdout,
        )
        loader.close(writers)
        progress.phase("需求、认领、认领服务记实", writers)
        bulk.finish_tables(model_list=_LOADED)

    if connection.vendor == "postgresql":
        bulk.analyze_tables(model_list=[*_LOADED, Member.skills.through, ServiceNeed.skills.through])
        progress.phase("ANALYZE")
    # Rows were loaded around the services, so the reporting tallies are counted once from scratch, for
    # every year the demo data spans.
    for year in range(REFERENCE_AT.year - 1, max(REFERENCE_AT.year, timezone.localdate().year) + 1):
        tally_rebuild(year)
    progress.phase("报到率统计")
    return DemoResult(
        built=True, logins=describe_logins(), rows=progress.rows, seconds=time.perf_counter() - progress.started
    )
