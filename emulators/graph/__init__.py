"""Microsoft Graph calendar emulator (``/emulators/outlook/v1.0/...``): calendars, events with
recurrence, calendarView and its delta, subscriptions with validation and notifications,
per-mailbox throttling. Test and demo only; never in production."""
