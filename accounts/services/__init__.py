from .audit import audit_record
from .users import user_ban, user_set_role

__all__ = ("audit_record", "user_ban", "user_set_role")
