"""The integrations module's permissions: the CRM's own (`crm:read` to see pushes,
`crm:write` to retry one, `crm:admin` to configure destinations and inbound webhooks), so
that roles and API keys keep their meaning. The CRM registers them."""

from rastro.crm.permissions import CRM_ADMIN, CRM_READ, CRM_WRITE, Admin, Read, Write

__all__ = ["CRM_ADMIN", "CRM_READ", "CRM_WRITE", "Admin", "Read", "Write"]
