"""The stages of the demo city, registered by the apps that own their tables.

An app adds demo data by having a `demo_city.py` module (found as the admin finds `admin.py`) that registers:
- a stage: `@demo_stage(order=…, label=…)` on a function of the build context, run inside the build's
  transaction, in order; what it produces for later stages goes into `context.produced`;
- a finisher: `@demo_finisher(order=…, label=…)`, run after the transaction (a recount, a cache warm-up);
- member logins: `@demo_logins(order=…)`, a function returning the DemoLogin rows it adds to the printed list.
Orders are spaced by 100 (communities 100–200, registration 300, services 400) so that a stage fits anywhere.
"""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

from .loader import BulkLoader


class DemoCityError(Exception):
    """The demo city cannot be built on the database as it is; the message says what to do."""


@dataclass
class DemoContext:
    """What a stage receives. rng is the running stage's own stream (stage_rng), so that a stage added or
    changed never moves the rows of another; produced holds what earlier stages left for later ones."""

    seed: int
    members: int  # people on the units' rosters (--members)
    sizes: dict  # scale(members)
    reference_at: datetime.datetime  # "now" for the demo city: every time is relative to it
    loader: BulkLoader
    password_hash: str  # one hash for every demo account
    stdout: object
    rng: random.Random | None = None
    produced: dict = field(default_factory=dict)

    def need(self, key):
        """What an earlier stage produced under key; a clear error when no stage did."""
        if key not in self.produced:
            raise DemoCityError(f"演示城市的构建步骤缺少前一步的结果“{key}”：请检查各应用 demo_city.py 中的顺序。")
        return self.produced[key]


@dataclass(frozen=True)
class Stage:
    order: int
    name: str  # module.function: also what seeds the stage's rng
    label: str  # the progress line after the stage
    run: Callable
    # Tables that must be empty before a build without --reset (a database with rows but no districts).
    tables: tuple = ()
    # (model, label) pairs the command's summary line counts, in this order.
    summary: tuple = ()


@dataclass(frozen=True)
class Finisher:
    order: int
    label: str
    run: Callable


@dataclass(frozen=True)
class LoginList:
    order: int
    run: Callable


@dataclass
class DemoRegistry:
    stages: dict = field(default_factory=dict)  # name → Stage
    finishers: list = field(default_factory=list)
    login_lists: list = field(default_factory=list)
    discovered: bool = False

    def discover(self):
        if not self.discovered:
            autodiscover_modules("demo_city")
            self.discovered = True

    def ordered_stages(self) -> list[Stage]:
        self.discover()
        return sorted(self.stages.values(), key=lambda stage: (stage.order, stage.name))

    def ordered_finishers(self) -> list[Finisher]:
        self.discover()
        return sorted(self.finishers, key=lambda finisher: finisher.order)

    def ordered_login_lists(self) -> list[LoginList]:
        self.discover()
        return sorted(self.login_lists, key=lambda logins: logins.order)

    def app_labels(self) -> list[str]:
        """The apps that contribute a stage: the tables a reset empties start from theirs."""
        labels = []
        for stage in self.ordered_stages():
            config = apps.get_containing_app_config(stage.run.__module__)
            if config is not None and config.label not in labels:
                labels.append(config.label)
        return labels


registry = DemoRegistry()


def _name(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def demo_stage(*, order: int, label: str, tables=(), summary=()):
    """Register the decorated function (context → None) as a stage of the demo city."""

    def register(function):
        name = _name(function)
        existing = registry.stages.get(name)
        if existing is not None and existing.run is not function:
            raise ValueError(f"demo stage {name} registered twice")
        registry.stages[name] = Stage(
            order=order, name=name, label=label, run=function, tables=tuple(tables), summary=tuple(summary)
        )
        return function

    return register


def demo_finisher(*, order: int, label: str):
    """Register the decorated function (context → None) to run after the build's transaction."""

    def register(function):
        if all(finisher.run is not function for finisher in registry.finishers):
            registry.finishers.append(Finisher(order=order, label=label, run=function))
        return function

    return register


def demo_logins(*, order: int):
    """Register the decorated function (no arguments → list of DemoLogin) whose logins the commands print
    after the staff logins."""

    def register(function):
        if all(logins.run is not function for logins in registry.login_lists):
            registry.login_lists.append(LoginList(order=order, run=function))
        return function

    return register


def stage_rng(seed: int, name: str) -> random.Random:
    """The random stream of one stage: the same seed and stage name give the same draws, whatever other stages
    draw. A str seed is hashed with SHA-512 by random.seed, so it does not depend on PYTHONHASHSEED."""
    # Reproducible on purpose: the same seed must give the same city. Nothing here is a secret.
    return random.Random(f"{seed}:{name}")  # noqa: S311  # nosec B311
