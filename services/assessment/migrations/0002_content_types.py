# The content types of the moved models follow them (services.assessment → assessment.assessment …), so that the
# admin's log entries and the permissions granted on them keep pointing at the same rows. On a fresh database
# there are none yet (they are made after the migrations) and this does nothing.

from django.db import migrations

MODELS = ("assessment", "assessmentrun", "assessmentrunchunk")


def relabel(old: str, new: str):
    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model in MODELS:
            if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
                continue  # already made for the new label: leave both rather than merge them blindly
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("assessment", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(relabel("services", "assessment"), relabel("assessment", "services")),
    ]
