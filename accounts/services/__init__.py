from .audit import audit_record
from .users import user_set_role

__all__ = ("audit_record", "user_set_role")
