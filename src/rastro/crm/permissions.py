"""The CRM module's permissions."""

from rastro.core.permissions import register_permission

CRM_READ = register_permission(
    "crm:read", "Read leads, contacts, deals, tasks, notes and the pipeline", min_role="viewer"
)
CRM_WRITE = register_permission(
    "crm:write",
    "Create leads, move them through the pipeline, edit contacts, deals, tasks and notes",
    min_role="analyst",
)
CRM_ADMIN = register_permission(
    "crm:admin",
    "Configure CRM destinations, inbound webhooks, stage mappings and scoring",
    min_role="manager",
)
