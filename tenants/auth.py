"""Staff sign-in policy for django-allauth."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by agency owners or operators' tooling, never by sign-up."""

    def is_open_for_signup(self, request: object) -> bool:
        return False
