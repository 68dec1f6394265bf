"""Threads and messages in the admin, read-only, for staff handling fraud reports.

Reading takes the models' view permission (admins have it; moderators keep to their console
unless an admin grants it); nobody writes a message or changes a thread here: the chat's record
stays as the participants left it.
"""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedModelAdmin, ReadOnly

from .models import Block, Message, Thread


class MessageInline(ReadOnly, admin.TabularInline):
    model = Message
    extra = 0
    fields = ("seq", "created_at", "sender", "body")
    readonly_fields = fields
    ordering = ("seq",)
    show_change_link = True


class BlockInline(ReadOnly, admin.TabularInline):
    model = Block
    extra = 0
    fields = ("side", "blocked_by", "created_at")
    readonly_fields = fields


@admin.register(Thread)
class ThreadAdmin(ReadOnly, AuditedModelAdmin):
    list_display = ("id", "listing", "buyer", "last_seq", "last_message_at", "created_at")
    list_select_related = ("listing", "buyer")
    search_fields = ("=id", "=listing__id", "listing__title", "buyer__phone")
    date_hierarchy = "created_at"
    fields = ("id", "listing", "buyer", "last_seq", "last_message_at", "created_at")
    readonly_fields = fields
    inlines = (BlockInline, MessageInline)


@admin.register(Message)
class MessageAdmin(ReadOnly, AuditedModelAdmin):
    list_display = ("created_at", "thread", "seq", "sender", "preview")
    list_select_related = ("thread", "sender")
    search_fields = ("=thread__id", "sender__phone", "body")
    date_hierarchy = "created_at"
    fields = ("id", "thread", "seq", "sender", "body", "client_id", "created_at")
    readonly_fields = fields

    @admin.display(description=_("text"))
    def preview(self, message: Message) -> str:
        return Truncator(message.body).chars(80)
