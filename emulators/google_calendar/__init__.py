"""Google Calendar API v3 emulator (a subset, as strict as Google): calendar list, events with
recurrence expansion and incremental sync, push channels, free/busy, quotas and faults."""
