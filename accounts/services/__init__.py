from .audit import audit_record
from .users import moderator_appoint, user_ban, user_save_by_staff, user_set_role

__all__ = ("audit_record", "moderator_appoint", "user_ban", "user_save_by_staff", "user_set_role")
