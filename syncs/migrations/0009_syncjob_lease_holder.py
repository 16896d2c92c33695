from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0008_dedupe_name_keys_and_covering_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncjob",
            name="lease_holder",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
