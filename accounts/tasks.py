"""Sending SMS and push notifications off the request path; enqueued after commit, by name."""

import logging
from typing import Any

from celery import Task, shared_task

from core.tasks import ExternalCallTask

from .models import Device
from .push import PushMessage, PushTemporaryError, send_push
from .services.profile import devices_forget
from .sms import SmsRejected, SmsTemporaryError, mask_phone, new_message_id, send_sms

logger = logging.getLogger(__name__)


class SmsTask(ExternalCallTask):
    """Keeps the text (a login code) and the full phone out of Celery's task log records."""

    def apply_async(
        self, args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any
    ) -> Any:
        # Retries go through here too; the worker logs `kwargsrepr` instead of the kwargs.
        if kwargs and "kwargsrepr" not in options:
            phone = mask_phone(str(kwargs.get("phone", "")))
            options["kwargsrepr"] = repr({"phone": phone, "text": "[redacted]"})
        return super().apply_async(args, kwargs, **options)


@shared_task(
    name="accounts.send_sms",
    base=SmsTask,
    bind=True,
    autoretry_for=(SmsTemporaryError, *ExternalCallTask.autoretry_for),
)
def send_sms_task(self: Task, *, phone: str, text: str) -> None:
    # The gateway id comes from the task id, which retries and redeliveries keep: a repeat of
    # an attempt whose answer was lost is dropped by the gateway, not delivered twice.
    task_id = self.request.id
    message_id = new_message_id(seed=task_id) if task_id else None
    try:
        send_sms(phone=phone, text=text, message_id=message_id)
    except SmsRejected as exc:
        # Permanent: retrying would fail the same way. Logged for a person to act on.
        logger.error("SMS to %s rejected, not retried: %s", mask_phone(phone), exc)


@shared_task(
    name="accounts.send_push",
    base=ExternalCallTask,
    autoretry_for=(PushTemporaryError, *ExternalCallTask.autoretry_for),
)
def send_push_task(
    *, user_id: str, title: str, body: str, data: dict[str, Any] | None = None
) -> None:
    # Checked again here: the user may have been deactivated since the notification was queued.
    tokens = list(
        Device.objects.filter(user_id=user_id, user__is_active=True).values_list(
            "expo_push_token", flat=True
        )
    )
    if not tokens:
        return
    messages = [PushMessage(token=t, title=title, body=body, data=data or {}) for t in tokens]
    dead = send_push(messages)
    if dead:
        deleted = devices_forget(user_id=user_id, tokens=dead)
        logger.info("Forgot %d unregistered device(s) of user %s", deleted, user_id)
