from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import ratelimit, services
from apps.accounts.feed_links import feed_token
from apps.accounts.forms import (
    DeleteAccountForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    SetPasswordForm,
    SignupForm,
)
from apps.accounts.time_zones import time_zone_remember
from apps.common.keys import PASSWORD_RESET_IP_CACHE, SIGNUP_IP_CACHE

SIGNED_UP = "Welcome to Retriever! Your account is ready."
SETTINGS_SAVED = "Your settings are saved."
PASSWORD_CHANGED = "Your password is changed."
PASSWORD_RESET_COMPLETE = "Your new password is set, and you are logged in."
ACCOUNT_DELETED = "Your account and everything in it are deleted."
FEED_LINK_RESET = "Your private feed link is new: the old one no longer works. Give feed readers the new one."


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and not ratelimit.attempt_allowed(
        scope=SIGNUP_IP_CACHE, ip=ratelimit.client_ip(request), limit=ratelimit.SIGNUP_LIMIT
    ):
        form.is_valid()  # keep what was typed, with the reason on top
        form.add_error(None, ratelimit.TOO_MANY_SIGNUPS)
        return render(request, "accounts/signup.html", {"form": form}, status=429)
    if form.is_bound and form.is_valid():
        try:
            user = services.user_signup(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, SIGNED_UP)
            return redirect(settings.SIGNUP_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_rate_limited():
            response.status_code = 429
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile_settings(request):
    profile = services.profile_get_or_create(user=request.user)
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"time_zone": profile.time_zone, "email_frequency": profile.email_frequency},
    )
    if form.is_bound and form.is_valid():
        profile = services.profile_update(user=request.user, **form.cleaned_data)
        time_zone_remember(request, profile.time_zone)
        messages.success(request, SETTINGS_SAVED)
        return redirect("accounts:settings")
    feed_url = request.build_absolute_uri(reverse("digests:feed", args=[feed_token(user=request.user)]))
    return render(request, "accounts/settings.html", {"form": form, "feed_url": feed_url})


@login_required
@require_POST
def feed_link_reset(request):
    services.feed_link_reset(user=request.user)
    messages.success(request, FEED_LINK_RESET)
    return redirect(reverse("accounts:settings") + "#feed-heading")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = DeleteAccountForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        services.user_delete(user=request.user)
        logout(request)
        messages.success(request, ACCOUNT_DELETED)
        return redirect("/")
    status = 429 if form.is_bound and form.is_rate_limited() else 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")
    success_message = PASSWORD_CHANGED

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_rate_limited():
            response.status_code = 429
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Each request mails someone: an address must not be usable to flood inboxes.
        if not ratelimit.attempt_allowed(
            scope=PASSWORD_RESET_IP_CACHE, ip=ratelimit.client_ip(self.request), limit=ratelimit.PASSWORD_RESET_LIMIT
        ):
            form.add_error(None, ratelimit.TOO_MANY_RESETS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetConfirmView(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    post_reset_login = True
    success_url = reverse_lazy("accounts:settings")
    success_message = PASSWORD_RESET_COMPLETE

    def form_valid(self, form):
        # Proving the mailbox is proof enough: a locked-out reader may log in again at once.
        ratelimit.login_failures_clear(email=form.user.email)
        return super().form_valid(form)
