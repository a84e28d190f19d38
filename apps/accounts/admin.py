from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model

from apps.accounts.models import AccountEmail, Profile
from apps.accounts.selectors import email_is_taken
from apps.accounts.services import EMAIL_TAKEN
from apps.common.admin import ReadOnlyAdmin


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("time_zone", "email_frequency", "demo", "created_at")
    readonly_fields = ("demo", "created_at")


admin.site.unregister(get_user_model())


class UserChangeForm(auth_admin.UserChangeForm):
    def clean_email(self):
        # The unique AccountEmail would refuse it on save (a 500): say so on the form, as sign-up does.
        email = self.cleaned_data.get("email", "")
        if email and email_is_taken(email=email, exclude_user_id=self.instance.pk):
            raise forms.ValidationError(EMAIL_TAKEN, code="email_taken")
        return email


@admin.register(get_user_model())
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    inlines = [*auth_admin.UserAdmin.inlines, ProfileInline]
    list_display = ("email", "username", "is_staff", "is_superuser", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "date_joined")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "time_zone", "email_frequency", "demo", "created_at")
    list_filter = ("email_frequency", "demo")
    search_fields = ("user__email", "time_zone")
    list_select_related = ("user",)
    readonly_fields = ("user", "demo", "created_at")

    def has_add_permission(self, request):
        return False  # made with the account


@admin.register(AccountEmail)
class AccountEmailAdmin(ReadOnlyAdmin):
    """Kept in step with the user's email by a signal; change the email on the user instead."""

    list_display = ("normalized", "user")
    search_fields = ("normalized", "user__email")
    list_select_related = ("user",)
