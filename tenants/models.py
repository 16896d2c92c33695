"""Agencies, their clients (the tenants), staff memberships and client API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid
import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from tenants import providers


@deconstructible
class ProviderOfKind:
    """Validates a client's provider choice against the registry when it is made, not with
    ``choices=`` on the field: a new provider then needs no migration of ``tenants``. The
    registry is the one ``settings.PROVIDER_REGISTRY`` names (``tenants.providers``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(self, value: str) -> None:
        if not value:
            return
        known = providers.registry().slugs(self.kind)
        if value not in known:
            raise ValidationError(
                f"{value!r} is not a {self.kind} provider; one of: {', '.join(known)}."
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProviderOfKind) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/London).")


def validate_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{value!r} is not a phone region code (e.g. US, GB, DE).")


def validate_business_hours(value: object) -> None:
    """Business hours: ``{"mon": [["09:00", "17:00"]], ...}``; missing days are closed."""
    days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    if not isinstance(value, dict):
        raise ValidationError("business hours must be a mapping of weekday to time ranges.")
    for day, ranges in value.items():
        if day not in days:
            raise ValidationError(f"{day!r} is not a weekday; use one of {sorted(days)}.")
        if not isinstance(ranges, list):
            raise ValidationError(f"{day}: expected a list of [start, end] pairs.")
        for pair in ranges:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(t, str) and _is_hhmm(t) for t in pair)
                or pair[0] >= pair[1]
            ):
                raise ValidationError(f'{day}: {pair!r} is not a ["HH:MM", "HH:MM"] range.')


def _is_hhmm(text: str) -> bool:
    if len(text) != 5 or text[2] != ":":
        return False
    hours, minutes = text[:2], text[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


def default_business_hours() -> dict[str, list[list[str]]]:
    return {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class Agency(models.Model):
    """The operator: an agency that serves many client businesses."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    """A tenant: one business an agency serves. Every tenant-owned row points here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by client_slug_unique_per_agency (agency, slug), which it leads.
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="clients", db_index=False
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField()
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    default_region = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_region],
        help_text="Phone numbers without a country code are read as this region's.",
    )
    business_hours = models.JSONField(
        default=default_business_hours, validators=[validate_business_hours]
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="The business's own contact: told when a connection needs reconnecting.",
    )
    crm_provider = models.CharField(max_length=32, blank=True, validators=[ProviderOfKind("crm")])
    calendar_provider = models.CharField(
        max_length=32, blank=True, validators=[ProviderOfKind("calendar")]
    )
    pos_provider = models.CharField(max_length=32, blank=True, validators=[ProviderOfKind("pos")])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "slug"], name="client_slug_unique_per_agency"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def provider_for(self, kind: str) -> str:
        """The provider slug chosen for a connector kind (crm / calendar / pos), or ''."""
        return getattr(self, f"{kind}_provider")


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    OPERATOR = "operator", "Operator"
    VIEWER = "viewer", "Viewer"


# What each role may do. Viewers read; operators run the day-to-day (keys, reviews, rollbacks);
# admins also create clients and manage connections; owners also manage members.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({"view"}),
    Role.OPERATOR: frozenset({"view", "operate"}),
    Role.ADMIN: frozenset({"view", "operate", "configure"}),
    Role.OWNER: frozenset({"view", "operate", "configure", "manage_members"}),
}


class Membership(models.Model):
    """A staff user's role in one agency."""

    # Indexed by one_membership_per_agency (user, agency), which it leads.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="one_membership_per_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.agency} ({self.role})"

    def allows(self, action: str) -> bool:
        return action in ROLE_PERMISSIONS[self.role]


API_KEY_PREFIX = "sb_live_"


def hash_api_key(raw: str) -> str:
    """Keys carry 256 random bits, so a fast hash is safe here (no dictionary to attack)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    """A chatbot vendor's credential for one client. Only the hash is stored."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=20, unique=True, help_text="Shown so staff can tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, *, client: Client, name: str, created_by=None) -> tuple[ApiKey, str]:
        """Create a key; returns the row and the raw key, which is never retrievable again."""
        raw = API_KEY_PREFIX + secrets.token_urlsafe(32).replace("-", "A").replace("_", "b")
        key = cls.objects.create(
            client=client,
            name=name,
            prefix=raw[: len(API_KEY_PREFIX) + 8],
            key_hash=hash_api_key(raw),
            created_by=created_by,
        )
        return key, raw

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
