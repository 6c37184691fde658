"""Bulk loading for the demo city: COPY on PostgreSQL, executemany on SQLite, rows streamed in chunks.

Rows are plain tuples in the order of the fields a writer was opened with; primary keys are chosen by the
builder so that foreign keys can be wired without reading anything back.
"""

import csv
import io
import time

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models

# A chunk of this many rows (per table) is held in memory before it is sent to the database.
CHUNK_ROWS = 50_000
_PG_NULL = "\\N"


class TableWriter:
    """Buffers the rows of one table. Columns the builder does not set get their field's default."""

    def __init__(self, *, loader, model, fields):
        opts = model._meta
        named = [opts.get_field(name) for name in fields]
        # A field added to the model later still gets a value: its default, the same for every row.
        rest = [f for f in opts.concrete_fields if f.name not in fields and not f.primary_key]
        self.loader = loader
        self.model = model
        self.table = opts.db_table
        self.columns = [f.column for f in named + rest]
        self.defaults = tuple(f.get_default() for f in rest)
        self.rows = []
        self.count = 0
        self.seconds = 0.0
        all_fields = named + rest
        self._nullable = [i for i, f in enumerate(all_fields) if f.null]
        # SQLite stores datetimes as naive UTC text; Django's adapters do that conversion.
        self._sqlite_prep = [
            (i, f) for i, f in enumerate(all_fields) if isinstance(f, models.DateTimeField | models.DecimalField)
        ]

    def add(self, row):
        self.rows.append(row + self.defaults if self.defaults else row)
        if len(self.rows) >= CHUNK_ROWS:
            self.loader.flush()

    def flush(self):
        if not self.rows:
            return
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            self._copy()
        else:
            self._insert()
        self.seconds += time.perf_counter() - started
        self.count += len(self.rows)
        self.rows = []

    def _copy(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        nullable = self._nullable
        if nullable:
            for row in self.rows:
                if None in row:
                    row = list(row)
                    for i in nullable:
                        if row[i] is None:
                            row[i] = _PG_NULL
                writer.writerow(row)
        else:
            writer.writerows(self.rows)
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(column) for column in self.columns)
        sql = f"COPY {connection.ops.quote_name(self.table)} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, buffer, size=1 << 20)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())

    def _insert(self):
        rows = self.rows
        if self._sqlite_prep:
            prepared = []
            for row in rows:
                row = list(row)
                for i, field in self._sqlite_prep:
                    row[i] = field.get_db_prep_save(row[i], connection)
                prepared.append(row)
            rows = prepared
        columns = ", ".join(connection.ops.quote_name(column) for column in self.columns)
        placeholders = ", ".join(["%s"] * len(self.columns))
        # Table and column names come from model metadata, quoted; the values go as parameters.
        sql = f"INSERT INTO {connection.ops.quote_name(self.table)} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


class BulkLoader:
    """The writers of one build. A full chunk flushes every writer in the order they were opened, so that
    a row is always loaded after the rows its foreign keys point to (checks run per statement on PostgreSQL).
    """

    def __init__(self):
        self.writers = []
        self.models = []  # every model a writer was opened for, in order: what the build resets and analyses

    def writer(self, model, fields) -> TableWriter:
        table_writer = TableWriter(loader=self, model=model, fields=fields)
        self.writers.append(table_writer)
        if model not in self.models:
            self.models.append(model)
        return table_writer

    def flush(self):
        for table_writer in self.writers:
            table_writer.flush()

    def close(self, writers):
        """Flush and forget the given writers (their phase is over)."""
        self.flush()
        for table_writer in writers:
            self.writers.remove(table_writer)


def next_id(model) -> int:
    """The first free primary key: ids are assigned here, in Python, after whatever is in the table."""
    largest = model._default_manager.aggregate(largest=models.Max("pk"))["largest"]
    return (largest or 0) + 1


def check_constraints_per_statement():
    """Check foreign keys at the end of each COPY instead of at commit.

    Django creates them DEFERRABLE INITIALLY DEFERRED; deferred to commit, PostgreSQL would queue an
    event per row for millions of rows. Checked per statement, the queue never exceeds one chunk.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def domain_models(*, app_labels) -> list:
    """Every model of the given apps (with M2M tables) and the user model, plus any model elsewhere that points
    at one of them, such as the admin log: all that a reset must empty.
    """
    chosen = []
    for label in app_labels:
        chosen.extend(apps.get_app_config(label).get_models(include_auto_created=True))
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    if user_model not in chosen:
        chosen.append(user_model)
    changed = True
    while changed:
        changed = False
        for model in apps.get_models(include_auto_created=True):
            if model not in chosen and any(
                f.is_relation and f.many_to_one and f.related_model in chosen for f in model._meta.concrete_fields
            ):
                chosen.append(model)
                changed = True
    return chosen


def _delete_order(chosen) -> list:
    """Referencing tables before the tables they reference."""
    remaining = list(chosen)
    ordered = []
    while remaining:
        for model in remaining:
            referenced_by_remaining = any(
                f.is_relation and f.many_to_one and f.related_model is model
                for other in remaining
                if other is not model
                for f in other._meta.concrete_fields
            )
            if not referenced_by_remaining:
                ordered.append(model)
                remaining.remove(model)
                break
        else:
            raise RuntimeError(f"cannot order deletes, foreign keys form a cycle among {remaining}")
    return ordered


def reset_domain_tables(*, app_labels):
    """Empty all domain tables (those of the apps that build the demo city) and all users: TRUNCATE on
    PostgreSQL, DELETE in dependency order elsewhere.

    Sessions go too: user ids start again from 1, and a stale session should not outlive its user.
    """
    chosen = domain_models(app_labels=app_labels)
    if apps.is_installed("django.contrib.sessions"):
        chosen.append(apps.get_model("sessions", "Session"))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(quote(model._meta.db_table) for model in chosen)
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for model in _delete_order(chosen):
                cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")  # noqa: S608 (a model's table name)  # nosec B608


def finish_tables(*, model_list):
    """Move the id sequences past the ids assigned in Python (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def analyze_tables(*, model_list):
    """Fresh planner statistics after loading millions of rows (PostgreSQL; SQLite gains little)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_list:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
