"""Append-only audit trail on PostgreSQL: a trigger refuses UPDATE and DELETE on communities_auditevent.

Two exceptions, both needed by the application and neither able to rewrite what an event says:
- DELETE of a row older than 180 days (the purge; AUDIT_RETENTION_DAYS may be longer, never shorter);
- UPDATE that only sets user_id to NULL (the foreign key's SET NULL when a user is deleted; the username
  snapshot keeps who it was).
TRUNCATE is left to the table's owner (test databases are flushed with it). SQLite has no such trigger.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION communities_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.user_id IS NULL
       AND to_jsonb(NEW) - 'user_id' = to_jsonb(OLD) - 'user_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS communities_auditevent_append_only ON communities_auditevent;
CREATE TRIGGER communities_auditevent_append_only
    BEFORE UPDATE OR DELETE ON communities_auditevent
    FOR EACH ROW EXECUTE FUNCTION communities_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS communities_auditevent_append_only ON communities_auditevent;
DROP FUNCTION IF EXISTS communities_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: the "%" are plpgsql's

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0005_audit_event"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
