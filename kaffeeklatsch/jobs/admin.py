from django.contrib import admin

from kaffeeklatsch.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "run_at", "attempts", "finished_at"]
    list_filter = ["status", "kind"]
