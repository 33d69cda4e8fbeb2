from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form, which sets the username's max_length only after the field is built
    and so never checks it: a username longer than any account's is refused here, before it
    reaches authenticate() and django-axes, whose record of the failure holds at most 255
    characters (a longer one was a 500 on PostgreSQL)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = get_user_model()._meta.get_field("username").max_length
        self.fields["username"].validators.append(MaxLengthValidator(limit))
