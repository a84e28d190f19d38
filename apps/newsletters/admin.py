from django.contrib import admin

from apps.newsletters.models import NewsletterDelivery


@admin.register(NewsletterDelivery)
class NewsletterDeliveryAdmin(admin.ModelAdmin):
    list_display = ["week", "user", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "week"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at", "sent_at", "message_id", "attempts"]
