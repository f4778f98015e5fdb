from django.contrib import admin

from kaffeeklatsch.reach.models import ChatChannel, MeetingUpdate, ReminderSetting


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    # The configuration holds secrets: the admin never shows it.
    list_display = ["__str__", "kind", "programme", "last_sent_at", "last_error"]
    fields = ["programme", "kind", "name", "last_sent_at", "last_error"]
    readonly_fields = ["kind", "last_sent_at", "last_error"]


admin.site.register(ReminderSetting)
admin.site.register(MeetingUpdate)
