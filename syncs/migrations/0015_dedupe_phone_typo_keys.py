"""Index people stored before the phone-typo key (``ph_del``: the number with one digit left
out, after a name's initial) and the narrower mailbox-prefix key (``em_pre`` with the mailbox's
last two letters), so a lead with a mistyped number finds them too; drop the keys ``ph_del``
replaced (``ph_tail``, ``fn_ph_head``, ``fn_ph_tail``), which no check reads any more."""

from django.db import migrations

from syncs.dedupe.normalize import Profile, blocking_keys

BATCH = 2000
ADDED_KINDS = frozenset({"ph_del", "em_pre"})
REPLACED_KINDS = frozenset({"ph_tail", "fn_ph_head", "fn_ph_tail"})


def add_phone_typo_keys(apps, schema_editor) -> None:
    person_model = apps.get_model("syncs", "Person")
    key_model = apps.get_model("syncs", "PersonKey")
    key_model.objects.filter(kind__in=ADDED_KINDS | REPLACED_KINDS).delete()  # stored once
    rows = []
    people = person_model.objects.filter(merged_into=None).order_by("id")
    for person in people.iterator(chunk_size=BATCH):
        profile = Profile(
            person.norm_first,
            person.norm_last,
            tuple(person.emails or ()),
            tuple(person.phones or ()),
            person.norm_company,
            person.norm_generation,
        )
        rows += [
            key_model(client_id=person.client_id, kind=kind, value=value[:255], person=person)
            for kind, value in blocking_keys(profile)
            if kind in ADDED_KINDS
        ]
        if len(rows) >= BATCH:
            key_model.objects.bulk_create(rows)
            rows = []
    key_model.objects.bulk_create(rows)


def remove_phone_typo_keys(apps, schema_editor) -> None:
    """Going back: the new keys go; the replaced ones come back with the code before this."""
    apps.get_model("syncs", "PersonKey").objects.filter(kind="ph_del").delete()


class Migration(migrations.Migration):
    dependencies = [("syncs", "0014_merge_20261205_0021")]

    operations = [migrations.RunPython(add_phone_typo_keys, remove_phone_typo_keys)]
