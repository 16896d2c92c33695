"""Duplicate detection: family-name keys paired with part of an identifier, and a covering index.

The broad name keys (``name``, ``last_fi``, ``plast_fi``) held thousands of people each in a big
list; they are replaced by the keys ``normalize._name_keys`` now builds, and ``email_local`` is
no longer kept for a mailbox that is just the person's name. Those kinds are computed again here
from each person's stored normalised fields.

The key index gains ``person_id`` so a check reads its buckets from the index alone; as it
starts with ``client_id``, the client foreign key loses its own index (one less to write per
key row). Going back leaves the new keys in place (harmless to the old code, which then finds
fewer fuzzy candidates until people are indexed again).
"""

import django.db.models.deletion
from django.db import migrations, models

from syncs.dedupe.normalize import Profile, blocking_keys

DROPPED_KINDS = ("name", "last_fi", "plast_fi", "email_local")
ADDED_KINDS = frozenset({"co_fi", "ph_head", "ph_tail", "em_head", "em_tail", "email_local"})
BATCH = 2000


def rebuild_name_keys(apps, schema_editor) -> None:
    person_model = apps.get_model("syncs", "Person")
    key_model = apps.get_model("syncs", "PersonKey")
    # The added kinds too: applying again after going back must not store them twice.
    key_model.objects.filter(kind__in=[*DROPPED_KINDS, *ADDED_KINDS]).delete()
    people = person_model.objects.filter(merged_into=None).order_by("id")
    columns = ("id", "client_id", "norm_first", "norm_last", "emails", "phones", "norm_company")
    rows = []
    for pid, client_id, first, last, emails, phones, company in people.values_list(
        *columns
    ).iterator(chunk_size=BATCH):
        profile = Profile(first, last, tuple(emails or ()), tuple(phones or ()), company)
        rows += [
            key_model(client_id=client_id, kind=kind, value=value[:255], person_id=pid)
            for kind, value in blocking_keys(profile)
            if kind in ADDED_KINDS
        ]
        if len(rows) >= BATCH:
            key_model.objects.bulk_create(rows)
            rows = []
    key_model.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0007_syncjob_claims"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="personkey", name="dedupe_key_lookup"),
        migrations.AddIndex(
            model_name="personkey",
            index=models.Index(
                fields=["client", "kind", "value", "person"], name="dedupe_key_covering"
            ),
        ),
        migrations.AlterField(
            model_name="personkey",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.client",
            ),
        ),
        # Index changes first: PostgreSQL refuses CREATE and DROP INDEX on a table with pending
        # (deferred) foreign-key checks, as after the inserts in this transaction.
        migrations.RunPython(rebuild_name_keys, migrations.RunPython.noop),
    ]
