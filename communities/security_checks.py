"""System checks for settings outside the app that keep personal data out of logs (issue 19, finding 7).

PostgreSQL writes a failed statement's DETAIL ("Key (phone)=(13912345678) already exists.") and, by default, the
statement itself (Django binds parameters on the client, so the values are in its text) to the server log when
a unique constraint refuses a row. The app cannot change that for itself (both settings are superuser-only), so
`communities.W019` reports a server that would: run by `manage.py check --database default` and `migrate`.
docs/SECURITY.md gives the two lines for postgresql.conf.
"""

from django.core import checks
from django.db import DatabaseError, connections

# Settings whose values keep a refused row's values out of the server log.
SAFE_VALUES = {"log_error_verbosity": {"terse"}, "log_min_error_statement": {"log", "fatal", "panic"}}


def postgres_log_problems(alias: str = "default") -> list[str]:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return []
    problems = []
    try:
        with connection.cursor() as cursor:
            for name, safe in SAFE_VALUES.items():
                cursor.execute(f"SHOW {name}")  # nosec B608: names from the constant above
                value = cursor.fetchone()[0].lower()
                if value not in safe:
                    problems.append(f"{name} = {value}")
    except DatabaseError:
        return []
    return problems


@checks.register(checks.Tags.database, checks.Tags.security)
def check_postgres_log_settings(databases=None, **kwargs):
    if not databases:
        return []
    problems = [problem for alias in databases for problem in postgres_log_problems(alias)]
    if not problems:
        return []
    return [
        checks.Warning(
            "PostgreSQL would write the values of a refused row (phones, user names) to its log: "
            + ", ".join(problems)
            + ".",
            hint="Set log_error_verbosity = terse and log_min_error_statement = panic (docs/SECURITY.md, finding 7).",
            id="communities.W019",
        )
    ]
