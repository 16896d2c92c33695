"""The calendar's console pages, under ``/console/clients/<uuid>/calendar/`` (``urls.py``):
calendars and their roles, services, business hours and date overrides, the availability
preview, and bookings with the staff's moves and cancellations."""
