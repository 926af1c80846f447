"""The sign-in forms (ours and the Django admin's) with failed attempts rate limited.

The limit is checked before the password (a refused attempt costs no hash and says nothing
about the password), a failure is counted against the username and the client address, and
a refusal is a form error that says when to try again; our login page answers it with 429.
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from centra_ip import ratelimit

USERNAME_MAX = 150


class RateLimitedLoginMixin:
    def clean(self):
        username = str(self.data.get("username", ""))[:USERNAME_MAX]
        address = ratelimit.client_address(self.request) if self.request else ""
        keys = ratelimit.keys_for(ratelimit.LOGIN, address=address, username=username)
        wait = ratelimit.wait_seconds(ratelimit.LOGIN, keys)
        if wait:
            raise ValidationError(ratelimit.refusal_text(wait), code="rate_limited")
        try:
            cleaned = super().clean()
        except ValidationError:
            ratelimit.failure_record(ratelimit.LOGIN, keys)
            raise
        ratelimit.success_record(ratelimit.LOGIN, username=username)
        return cleaned


class LoginForm(RateLimitedLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(RateLimitedLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "rate_limited"):
            response.status_code = 429
        return response
