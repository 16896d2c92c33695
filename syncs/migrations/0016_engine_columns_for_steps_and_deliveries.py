"""Rollback steps and webhook deliveries take the engine's columns (``syncs.engine.models``):
the step's ``error`` is renamed ``last_error``; claims, lease holder and publication stamps are
added (empty), a delivery gets ``started_at``/``finished_at`` and a ``running`` status while
an attempt is under way, and its error column becomes text like the others. No value is lost:
the widened column keeps every value, and attempts stay below ten."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0015_syncjob_kind_and_external_id"),
    ]

    operations = [
        migrations.RenameField(model_name="rollbackstep", old_name="error", new_name="last_error"),
        migrations.AddField(
            model_name="rollbackstep", name="claims", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="rollbackstep",
            name="lease_holder",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="rollbackstep",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="claims",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="lease_holder",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="webhookdelivery", name="last_error", field=models.TextField(blank=True)
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("running", "Sending"),
                    ("failed", "Failed"),
                    ("succeeded", "Succeeded"),
                    ("dead", "Dead"),
                ],
                default="pending",
                max_length=16,
            ),
        ),
    ]
