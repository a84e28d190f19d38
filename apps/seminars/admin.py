from django.contrib import admin

from apps.seminars.models import RSVP, Notice, SeminarSeries, Session, Talk, WordCloud


@admin.register(SeminarSeries)
class SeminarSeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "weekday", "start_time", "talks_need_approval")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("organizers",)
    exclude = ("followers",)


class TalkInline(admin.TabularInline):
    model = Talk
    extra = 0
    autocomplete_fields = ("paper",)
    raw_id_fields = ("speaker",)
    fields = ("title", "speaker", "paper", "status", "slides_url", "video_url")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("series", "start", "status", "capacity", "sequence")
    list_filter = ("series", "status")
    date_hierarchy = "start"
    inlines = [TalkInline]
    readonly_fields = ("sequence",)


@admin.register(RSVP)
class RSVPAdmin(admin.ModelAdmin):
    list_display = ("session", "user", "status", "requested_at")
    list_filter = ("status",)
    raw_id_fields = ("session", "user")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("kind", "user", "session", "status", "attempts", "created_at", "sent_at")
    list_filter = ("kind", "status")
    readonly_fields = [field.name for field in Notice._meta.fields]


@admin.register(WordCloud)
class WordCloudAdmin(admin.ModelAdmin):
    list_display = ("key", "titles", "built_at")
    readonly_fields = ("titles_digest", "titles", "terms", "image", "built_at")
