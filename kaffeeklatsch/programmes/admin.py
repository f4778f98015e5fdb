from django.contrib import admin

from kaffeeklatsch.programmes.models import Organiser, Programme


class OrganiserInline(admin.TabularInline):
    model = Organiser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "cadence",
        "group_size",
        "registration_open",
        "automatic",
        "next_round_on",
    ]
    search_fields = ["name"]
    inlines = [OrganiserInline]
    readonly_fields = ["invite_token", "created_at"]
