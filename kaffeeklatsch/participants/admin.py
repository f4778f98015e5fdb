from django.contrib import admin

from kaffeeklatsch.participants.models import Participant


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "programme", "department", "level", "status"]
    list_filter = ["status", "programme"]
    search_fields = ["name", "email", "department"]
    filter_horizontal = ["blocked"]
    readonly_fields = ["created_at", "confirmed_at", "link_generation"]
