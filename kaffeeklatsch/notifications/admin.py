from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["kind", "to", "subject_or_later", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry"]

    @admin.display(description=_("subject"), ordering="subject")
    def subject_or_later(self, message: OutboxMessage) -> str:
        if message.rendered:
            return message.subject
        return str(_("(written when it is sent)"))

    @admin.action(description=_("Send again"))
    def retry(self, request, queryset):
        # Sent again as stored; a message not rendered yet (or whose rendering failed)
        # is rendered when it is sent.
        queryset.update(status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now())
