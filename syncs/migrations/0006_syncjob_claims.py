from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0005_merge_20261125_1239"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncjob",
            name="claims",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
