from django.contrib import admin

from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round


class GroupInline(admin.TabularInline):
    model = Group
    extra = 0
    fields = ["mode", "score", "suggested_start", "video_url"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["programme", "number", "status", "published_at", "score", "bound", "exact"]
    list_filter = ["status", "programme"]
    inlines = [GroupInline]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["group", "participant", "met", "answered_at"]


admin.site.register(LeftOut)
