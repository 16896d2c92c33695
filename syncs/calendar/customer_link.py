"""The link a customer opens to see, move or cancel their booking, without signing in.

The token is ``django.core.signing`` over the booking's public id, salted for this use only
(so a connect link's token, or any other signed value, is worthless here), and expires
``BOOKING_LINK_MAX_AGE`` seconds after it was made. The link is the key: whoever has it may
move or cancel that one booking, as the customer could by telling the chatbot. A tampered
link is refused (404) and an expired one says so (410); neither says whether the booking
exists. ``reschedule_link(booking)`` is what a reminder, the API or a webhook payload carries.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from common.signed_links import LinkExpired, LinkInvalid, absolute_url, read
from syncs.calendar.bookings.models import Booking

__all__ = ["LinkExpired", "LinkInvalid", "booking_for_token", "make_token", "reschedule_link"]
SALT = "switchboard.syncs.calendar.customer-link"


def make_token(booking: Booking) -> str:
    return signing.dumps({"b": str(booking.public_id)}, salt=SALT)


def reschedule_link(booking: Booking) -> str:
    """The absolute URL of a fresh link to ``booking``'s page."""
    return absolute_url("booking_link:page", make_token(booking))


def booking_for_token(token: str) -> Booking:
    """The booking a link is for; raises ``LinkExpired`` or ``LinkInvalid``."""
    booking_id = read(token, salt=SALT, max_age=settings.BOOKING_LINK_MAX_AGE).get("b")
    if not isinstance(booking_id, str):
        raise LinkInvalid
    found = Booking.objects.select_related("client", "service").filter(public_id=booking_id).first()
    if found is None:
        raise LinkInvalid
    return found
