from django.contrib import admin

from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round, RoundTask


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["programme", "number", "status", "published_at", "score", "bound", "exact"]
    list_filter = ["status", "programme"]
    # A round's groups are listed on their own page (a round may have 500,000 of them).


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["round", "number", "mode", "score", "moved"]
    list_select_related = ["round__programme"]
    list_filter = ["moved", "mode"]
    raw_id_fields = ["round", "members"]
    search_fields = ["=round__id"]
    show_full_result_count = False


@admin.register(RoundTask)
class RoundTaskAdmin(admin.ModelAdmin):
    list_display = ["programme", "kind", "status", "stage", "progress", "created_at", "error"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["programme", "round", "requested_by"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["group", "participant", "met", "answered_at"]
    raw_id_fields = ["group", "participant"]


@admin.register(LeftOut)
class LeftOutAdmin(admin.ModelAdmin):
    raw_id_fields = ["round", "participant"]
