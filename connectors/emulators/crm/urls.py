"""CRM emulator routes. Mounted under ``/emulators/``; each pattern starts with the vendor slug
followed by the vendor's own path (``hubspot/crm/v3/objects/contacts``)."""

from __future__ import annotations

from connectors.emulators.crm import control, hubspot, pipedrive, salesforce, zoho

urlpatterns = [
    *control.urlpatterns,
    *hubspot.urlpatterns,
    *salesforce.urlpatterns,
    *zoho.urlpatterns,
    *pipedrive.urlpatterns,
]
