"""CRM emulator routes. Mounted under ``/emulators/``; each pattern starts with the vendor slug
followed by the vendor's own path (``hubspot/crm/v3/objects/contacts``)."""

from __future__ import annotations

from emulators.crm import (
    control,
    hubspot,
    hubspot_people,
    pipedrive,
    pipedrive_activities,
    pipedrive_fields,
    pipedrive_people,
    salesforce,
    salesforce_people,
    zoho,
    zoho_people,
)

urlpatterns = [
    *control.urlpatterns,
    *hubspot_people.urlpatterns,  # before hubspot's: contacts/merge is not a record id
    *hubspot.urlpatterns,
    *salesforce_people.urlpatterns,
    *salesforce.urlpatterns,
    *zoho_people.urlpatterns,  # before zoho's: actions/merge is not a tag action
    *zoho.urlpatterns,
    *pipedrive_fields.urlpatterns,
    *pipedrive_people.urlpatterns,
    *pipedrive_activities.urlpatterns,
    *pipedrive.urlpatterns,
]
