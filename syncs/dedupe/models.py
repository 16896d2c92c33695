"""The per-client index of people, its blocking keys, and the duplicate review queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["DuplicateCandidate", "MatchModel", "Person", "PersonKey"]


class Person(models.Model):
    """Someone a client has seen (a lead, a CRM contact). Matching reads the normalised fields;
    the display fields keep what was entered."""

    client = models.ForeignKey("tenants.Client", on_delete=models.CASCADE, related_name="+")
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True, help_text="Lower-cased, as first seen.")
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, as first seen.")
    company = models.CharField(max_length=200, blank=True)
    norm_first = models.CharField(max_length=200, blank=True)
    norm_last = models.CharField(max_length=200, blank=True)
    norm_company = models.CharField(max_length=200, blank=True)
    norm_generation = models.CharField(
        max_length=8, blank=True, help_text="jr, sr, ii, iii…: parsed from the name."
    )
    emails = models.JSONField(default=list, blank=True, help_text="Every address seen.")
    phones = models.JSONField(default=list, blank=True, help_text="Every E.164 number seen.")
    external_ids = models.JSONField(default=dict, blank=True, help_text="provider → CRM id")
    other_external_ids = models.JSONField(
        default=list,
        blank=True,
        help_text='Further "provider:id" CRM records known to be this person (after a merge).',
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="absorbed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.phone


class PersonKey(models.Model):
    """One blocking key of a person: a check reads only rows sharing a key with the newcomer."""

    # No index of its own: the covering index below starts with client_id.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16)
    value = models.CharField(max_length=255)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        # person_id in the index: a check reads its key buckets without visiting the table.
        indexes = [
            models.Index(fields=["client", "kind", "value", "person"], name="dedupe_key_covering")
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class DuplicateCandidate(models.Model):
    """A likely duplicate waiting for staff: merge ``person`` into ``existing``, or dismiss."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Dismissed"

    # Not a column: the CRM record "link" would write onto, set by syncs.dedupe.held for pages.
    link_target: str

    # Indexed by dedupe_candidate_queue (client, status), which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Indexed by dedupe_candidate_pair (person, existing), which it leads.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    existing = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["client", "status"], name="dedupe_candidate_queue")]
        constraints = [
            models.UniqueConstraint(fields=["person", "existing"], name="dedupe_candidate_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ~ {self.existing} ({self.score:.2f}, {self.status})"


class MatchModel(models.Model):
    """A client's learned duplicate model (``syncs.dedupe.fellegi_sunter``) and the thresholds
    its target precisions give, with the precision and recall the model expects at each."""

    client = models.OneToOneField("tenants.Client", on_delete=models.CASCADE, related_name="+")
    params = models.JSONField(default=dict, help_text="m/u per comparison level, λ, name counts.")
    auto_link = models.FloatField(help_text="Match probability at which a lead is linked.")
    auto_link_precision = models.FloatField(default=0.99, help_text="Target precision.")
    auto_link_expected_precision = models.FloatField(default=0.0)
    auto_link_expected_recall = models.FloatField(default=0.0)
    review = models.FloatField(help_text="Match probability at which a pair goes to review.")
    review_precision = models.FloatField(default=0.9, help_text="Target precision.")
    review_expected_precision = models.FloatField(default=0.0)
    review_expected_recall = models.FloatField(default=0.0)
    people = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0, help_text="Candidate pairs estimated on.")
    labels = models.PositiveIntegerField(default=0, help_text="Review decisions used.")
    estimated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"duplicate model of client {self.client_id} ({self.estimated_at:%Y-%m-%d})"
