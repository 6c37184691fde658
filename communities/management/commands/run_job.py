"""Run one of the project's Celery tasks by its short name, by hand.

    manage.py run_job                              # list the jobs and their options
    manage.py run_job reminders_sweep --now 2026-12-05
    manage.py run_job assessment_run --year 2026
    manage.py run_job --enqueue reminders_sweep     # hand it to the workers instead

By default the job runs in this process to the end, the tasks it enqueues included (Celery runs eagerly
for the length of the command), and its result is printed. The jobs are those the apps registered
(communities.platform.jobs), so this command, which lives in the lowest app, never names the apps above it.
"""

import argparse
import inspect
import re
import typing

from django.core.management.base import BaseCommand, CommandError

from communities.platform import jobs
from config.celery import app as celery_app

INTEGER = re.compile(r"^-?\d+$")


def project_tasks() -> dict[str, list[str]]:
    """{short name: [full task names]} of every registered job."""
    found: dict[str, list[str]] = {}
    for job in sorted(jobs.registered(), key=lambda job: job.name):
        found.setdefault(job.short_name, []).append(job.name)
    return found


def parse_job_options(words: list[str]) -> dict:
    """["--year", "2026", "--dry-run", "--now=2026-12-05"] → {"year": "2026", "dry_run": True, "now": ...}."""
    options = {}
    position = 0
    while position < len(words):
        word = words[position]
        if not word.startswith("--") or word == "--":
            raise CommandError(f"Expected an option such as --year 2026, got {word!r}.")
        key, has_value, value = word[2:].partition("=")
        if not has_value:
            following = words[position + 1] if position + 1 < len(words) else None
            if following is not None and not following.startswith("--"):
                value = following
                position += 1
            else:
                value = True
        options[key.replace("-", "_")] = value
        position += 1
    return options


def coerce(value, annotation):
    """Turn a command-line string into what the task's annotation asks for (int, float, bool, str);
    with no annotation, digits become an int."""
    if value is True:
        return True
    accepted = typing.get_args(annotation) or (annotation,)
    try:
        if bool in accepted:
            return value.lower() in ("1", "true", "yes", "on")
        if int in accepted:
            return int(value)
        if float in accepted:
            return float(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a {annotation}.") from None
    if annotation is inspect.Parameter.empty and INTEGER.match(value):
        return int(value)
    return value


def describe(task) -> str:
    parameters = ", ".join(
        f"--{name.replace('_', '-')}"
        for name in inspect.signature(task.run).parameters
        if name not in ("args", "kwargs")
    )
    paragraph = (inspect.getdoc(task.run) or "").split("\n\n", 1)[0].replace("\n", " ")
    summary = paragraph.split(". ", 1)[0].rstrip(".") + "."
    return f"{parameters or '(no options)'}\n      {summary}"


class Command(BaseCommand):
    help = "Run a project Celery task by short name (e.g. reminders_sweep --now 2026-12-05); list them without one."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Send the job to the workers instead.")
        parser.add_argument("job", nargs="?", help="Short name (reminders_sweep) or full task name.")
        parser.add_argument("job_options", nargs=argparse.REMAINDER, help="--option value pairs for the task.")

    def handle(self, *args, job=None, job_options=(), enqueue=False, **options):
        tasks = project_tasks()
        if not job:
            self.stdout.write("Available jobs:")
            for name, full_names in tasks.items():
                for full_name in full_names:
                    label = name if len(full_names) == 1 else full_name
                    self.stdout.write(f"  {label} {describe(celery_app.tasks[full_name])}")
            return
        task = self._find(tasks, job)
        parameters = inspect.signature(task.run).parameters
        kwargs = {}
        for key, value in parse_job_options(list(job_options)).items():
            if key not in parameters:
                accepted = ", ".join(f"--{name.replace('_', '-')}" for name in parameters) or "no options"
                raise CommandError(f"{job} does not take --{key.replace('_', '-')}; it takes {accepted}.")
            kwargs[key] = coerce(value, parameters[key].annotation)
        if enqueue:
            result = task.apply_async(kwargs=kwargs)
            self.stdout.write(f"{task.name} queued as {result.id}")
            return
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True  # what the job enqueues runs here too, to the end
        try:
            result = task.apply(kwargs=kwargs, throw=True)
        finally:
            celery_app.conf.task_always_eager = eager
        self.stdout.write(f"{task.name}: {result.result!r}")

    def _find(self, tasks, job):
        if any(job == name for names in tasks.values() for name in names):
            return celery_app.tasks[job]
        full_names = tasks.get(job.removesuffix("_task"), [])
        if len(full_names) == 1:
            return celery_app.tasks[full_names[0]]
        if full_names:
            raise CommandError(f"{job} is ambiguous: give one of {', '.join(full_names)}.")
        raise CommandError(f"No job named {job}. Run without a name to list them: {', '.join(tasks)}.")
