"""A sync job names its target kind and what it made there, in the engine's words: ``target``
becomes ``kind`` (no "crm" default: intake writes the connection's kind) and ``crm_id``
becomes ``external_id``. Renames only: every row keeps its values."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0014_merge_20261205_0021"),
    ]

    operations = [
        migrations.RenameField(model_name="syncjob", old_name="target", new_name="kind"),
        migrations.AlterField(
            model_name="syncjob", name="kind", field=models.CharField(max_length=16)
        ),
        migrations.RenameField(model_name="syncjob", old_name="crm_id", new_name="external_id"),
    ]
