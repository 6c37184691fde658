"""demo_city_build: the whole demo city in one transaction, deterministic for a seed, a size and a day.

The rows come from the stages the apps register (registry.py); this module runs them in order, resets,
checks and finishes the tables, and reports progress.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from communities.models import District

from . import loader as bulk
from .logins import DEMO_PASSWORD, describe_logins, ensure_logins
from .places import scale
from .progress import Progress
from .registry import DemoCityError, DemoContext, registry, stage_rng

# The demo city's "now" is this local hour of the day it is built (or of --today): its needs have ended,
# are running or are upcoming on that day, and the same seed and day give the same rows. Midnight, so that
# nothing the build dates in the past lies later than the clock on the day it is built.
REFERENCE_HOUR = 0


def reference_at(day: datetime.date | None = None) -> datetime.datetime:
    """The reference time of a demo city built on day (default: today, local date)."""
    day = day or timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(REFERENCE_HOUR)))


@dataclass
class DemoResult:
    built: bool
    logins: list
    rows: dict = field(default_factory=dict)  # table → rows written
    seconds: float = 0.0
    summary: list = field(default_factory=list)  # (label, rows) of the stages' summary models, in order


def demo_city_build(
    *, members: int = 3000, seed: int = 2026, today: datetime.date | None = None, reset: bool = False, stdout
) -> DemoResult:
    """Build the demo city: `members` people on the units' rosters and everything around them, dated around
    `today` (default: the local date now).

    Without reset, a database that already has districts is left as it is: only missing demo logins are
    created. With reset, all domain data and all users are deleted first. The same seed, size and day give
    the same names, codes, phones, ID number hashes, statuses and times (ciphertexts differ by their random IV).
    Raises DemoCityError if the database holds domain rows but no districts.
    """
    if members < 1:
        raise DemoCityError("--members 至少为 1")
    progress = Progress(stdout)
    stages = registry.ordered_stages()
    sizes = scale(members)
    heading = (
        f"建立演示城市：名单 {members:,} 人，{sizes['districts']:,} 个区县，{sizes['streets']:,} 个街道/镇，"
        f"{sizes['communities']:,} 个社区/村，{sizes['units']:,} 个单位（种子 {seed}，{connection.vendor}）"
    )
    with transaction.atomic():
        if reset:
            progress.say(heading)
            bulk.reset_domain_tables(app_labels=registry.app_labels())
            progress.phase("清空原有数据")
        elif District.objects.exists():
            ensure_logins(overwrite=False)
            progress.say("演示城市已存在（demo city already present），未重建；加 --reset 可重建。")
            return DemoResult(built=False, logins=describe_logins(), seconds=progress.elapsed())
        else:
            not_empty = [
                model._meta.verbose_name for stage in stages for model in stage.tables if model.objects.exists()
            ]
            if not_empty:
                raise DemoCityError(f"数据库中已有{', '.join(map(str, not_empty))}数据但没有区县：请加 --reset 重建。")
            progress.say(heading)

        bulk.check_constraints_per_statement()
        context = DemoContext(
            seed=seed, members=members, sizes=sizes, reference_at=reference_at(today), loader=bulk.BulkLoader(),
            # Hashed once: every demo account shares this hash (a password hash is slow on purpose).
            password_hash=make_password(DEMO_PASSWORD), stdout=stdout,
        )
        for stage in stages:
            context.rng = stage_rng(seed, stage.name)
            opened = len(context.loader.writers)
            stage.run(context)
            writers = context.loader.writers[opened:]
            context.loader.close(writers)
            progress.phase(stage.label, writers)
        bulk.finish_tables(model_list=context.loader.models)

    if connection.vendor == "postgresql":
        bulk.analyze_tables(model_list=context.loader.models)
        progress.phase("ANALYZE")
    for finisher in registry.ordered_finishers():
        finisher.run(context)
        progress.phase(finisher.label)
    # The rows the bulk writer counted; a stage that writes through its app's services (a few rows) is counted.
    summary = [
        (label, progress.rows.get(model._meta.db_table) or model._default_manager.count())
        for stage in stages
        for model, label in stage.summary
    ]
    return DemoResult(
        built=True, logins=describe_logins(), rows=progress.rows, seconds=progress.elapsed(), summary=summary
    )
