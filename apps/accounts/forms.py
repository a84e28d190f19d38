from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator

from apps.accounts import ratelimit, selectors
from apps.accounts.emails import normalized_email
from apps.accounts.models import EmailFrequency, time_zone_names

EMAIL_MAX_LENGTH = 254
# Long enough for any passphrase, short enough that nobody makes the server hash a megabyte.
PASSWORD_MAX_LENGTH = 256
LOGIN_INVALID = "That email and password don't match an account. Try again, or reset your password."
DELETE_WRONG_PASSWORD = "That is not your password."


def _email_field(autocomplete: str) -> forms.EmailField:
    return forms.EmailField(
        label="Email", max_length=EMAIL_MAX_LENGTH, widget=forms.EmailInput(attrs={"autocomplete": autocomplete})
    )


def _password_field(autocomplete: str, label: str = "Password", help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class SignupForm(forms.Form):
    email = _email_field("email")
    password = _password_field("new-password", help_text=password_validators_help_text_html())


class LoginForm(forms.Form):
    """Log in by email; refuses without checking the password once the rate limit is reached."""

    email = _email_field("username")
    password = _password_field("current-password")

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autofocus"] = True

    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        ip = ratelimit.client_ip(self.request)
        if ratelimit.login_is_blocked(ip=ip, email=email):
            raise ValidationError(ratelimit.LOGIN_RATE_LIMITED, code="rate_limited")
        user = selectors.user_get_by_email(email=email)
        # An unknown email still goes through authenticate(), which hashes anyway: no timing tells it apart.
        username = user.get_username() if user else normalized_email(email)
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            ratelimit.login_failure_record(ip=ip, email=email)
            raise ValidationError(LOGIN_INVALID, code="invalid_login")
        ratelimit.login_failures_clear(email=email)
        return self.cleaned_data

    def is_rate_limited(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "rate_limited")

    def get_user(self):
        return self.user_cache


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=lambda: [(name, name.replace("_", " ")) for name in sorted(time_zone_names())],
        help_text="Your weekly digest is dated and sent by this time zone.",
    )
    email_frequency = forms.ChoiceField(label="Email", choices=EmailFrequency.choices, widget=forms.RadioSelect)


class DeleteAccountForm(forms.Form):
    password = _password_field("current-password", label="Your password")

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        return _checked_current_password(self.user, self.cleaned_data["password"], DELETE_WRONG_PASSWORD)

    def is_rate_limited(self) -> bool:
        return self.has_error("password", "rate_limited")


def _checked_current_password(user, password: str, wrong: str) -> str:
    """The signed-in user's own password, throttled: refused without checking once too many were wrong."""
    if ratelimit.password_check_blocked(user_id=user.pk):
        raise ValidationError(ratelimit.TOO_MANY_PASSWORD_CHECKS, code="rate_limited")
    if not user.check_password(password):
        ratelimit.password_check_failed(user_id=user.pk)
        raise ValidationError(wrong, code="password_incorrect")
    return password


class _PasswordLengthMixin:
    """Django's password forms leave passwords unbounded; ours cap them like every other field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.PasswordInput):
                field.max_length = PASSWORD_MAX_LENGTH
                field.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
                field.widget.attrs["maxlength"] = str(PASSWORD_MAX_LENGTH)


class PasswordChangeForm(_PasswordLengthMixin, auth_forms.PasswordChangeForm):
    def clean_old_password(self):
        wrong = self.error_messages["password_incorrect"]
        return _checked_current_password(self.user, self.cleaned_data["old_password"], wrong)

    def is_rate_limited(self) -> bool:
        return self.has_error("old_password", "rate_limited")


class SetPasswordForm(_PasswordLengthMixin, auth_forms.SetPasswordForm):
    pass
