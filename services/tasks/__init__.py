"""Celery tasks of the services app (autodiscovered as `services.tasks`): reminders and closing ended needs."""

from .needs import *  # noqa: F403
from .reminders import *  # noqa: F403
