import secrets

from django.db import migrations, models

import communities.models


def fill_slugs(apps, schema_editor):
    Community = apps.get_model("communities", "Community")
    for community in Community.objects.filter(public_slug__isnull=True).only("pk"):
        community.public_slug = secrets.token_urlsafe(16)
        community.save(update_fields=["public_slug"])


class Migration(migrations.Migration):
    dependencies = [("communities", "0011_notification_sending_claimed_at")]

    operations = [
        migrations.AddField(
            model_name="community",
            name="public_slug",
            field=models.CharField(max_length=22, null=True, editable=False, verbose_name="public address"),
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="community",
            name="public_slug",
            field=models.CharField(
                default=communities.models.new_public_slug,
                editable=False,
                max_length=22,
                unique=True,
                verbose_name="public address",
            ),
        ),
    ]
