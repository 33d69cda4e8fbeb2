"""API tokens in the admin: issued for an account, shown once, revoked by an action.

A province's administrator issues and revokes tokens only for the accounts they manage and their
own: the same accounts the user admin shows them (communes.admin_scope.manageable_accounts:
bound inside their province, neither superuser nor staff). A token for an account above them
(a superuser bound to one of their communes, another administrator) would let them read what
that account reads: the takeover of issue 12 by another door."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from communes.admin_forms import MissingObjectIs404Mixin, RefusedFormIs400Mixin
from communes.admin_scope import manageable_accounts
from communes.selectors import scope_for

from . import services
from .models import ApiToken

User = get_user_model()


def accounts_for(user):
    """The accounts whose tokens ``user`` (an administrator) manages."""
    if scope_for(user).everything:
        return User.objects.all()
    managed = manageable_accounts(user).values("pk")
    return User.objects.filter(Q(pk__in=managed) | Q(pk=user.pk))


class IssueTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(MissingObjectIs404Mixin, RefusedFormIs400Mixin, admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "created_by", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]
    form = IssueTokenForm

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user", "created_by")
        return queryset.filter(user__in=accounts_for(request.user))

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["user", "name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            formfield.queryset = accounts_for(request.user).order_by("username")
        return formfield

    # A token is never edited (its page is read-only) nor deleted (revoking keeps the record
    # of who could read what, and when that ended).
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, key = services.issue_token(
            user=form.cleaned_data["user"], name=form.cleaned_data["name"], issued_by=request.user
        )
        obj.pk = token.pk
        obj._issued_key = key

    def response_add(self, request, obj, post_url_continue=None):
        # The token is on this one page and nowhere else (not in a message, which may be kept
        # in a cookie or the session): the client must copy it now.
        return TemplateResponse(
            request,
            "admin/api/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": obj,
                "key": obj._issued_key,
                "title": _("API token issued"),
            },
        )

    def log_addition(self, request, obj, message):
        # save_model created the row through the service; log it as Django would.
        obj = ApiToken.objects.get(pk=obj.pk)
        return super().log_addition(request, obj, message)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request, queryset):
        n = services.revoke_tokens(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", n) % {"n": n},
            messages.SUCCESS,
        )
