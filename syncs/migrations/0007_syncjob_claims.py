from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0006_rollback_keeps_later_writes"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncjob",
            name="claims",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
