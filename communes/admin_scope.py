"""What a scoped administrator may pick in the admin's forms.

Scoping the admin's lists (``get_queryset``) hides other provinces' rows, but a form's foreign
keys still accepted any primary key posted: a province's administrator could add a village,
target or assessment to a commune of another province, or a membership making someone (or
themselves) an administrator of another province or of the whole country. Foreign keys to units,
assessments and accounts therefore offer, and validate against, only what lies inside the
user's subtree.

Accounts are the one foreign key where "inside the subtree" is not enough. An account that no
membership binds (every ``createsuperuser`` account, every account before its membership is
added) used to be offered too, so that a province's administrator could bind it: bind the
national superuser to one of its communes, reset its password, remove the membership again and
log in as the superuser. A scoped administrator now manages only ``manageable_accounts``:
accounts already bound inside its subtree that hold no power of their own (neither superuser
nor staff). It creates new accounts with their membership in one step (communes.user_admin),
and never binds an existing account.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import Commune, District, Membership, Province, Village
from .selectors import scope_for, scoped

SCOPED_CHOICES = (Province, District, Commune, Village)


def choices_for(user, queryset: QuerySet) -> QuerySet:
    """``queryset`` (a foreign key's choices) narrowed to what ``user`` may pick."""
    if scope_for(user).everything:
        return queryset
    model = queryset.model
    if model in SCOPED_CHOICES or model._meta.label == "criteria.Assessment":
        return scoped(user, queryset)
    if model is get_user_model():
        return queryset.filter(pk__in=manageable_accounts(user).values("pk"))
    return queryset


def manageable_accounts(user) -> QuerySet:
    """The accounts ``user`` may see, pick, change and reset in the admin: every account for a
    national administrator; for a scoped one, the accounts bound by a membership to a unit of
    its subtree that are neither superuser nor staff (staff accounts are administrators, whom
    only a national administrator manages), and never its own (see ScopedUserAdmin)."""
    accounts = get_user_model().objects.all()
    if scope_for(user).everything:
        return accounts
    inside = scoped(user, Membership.objects.all()).values("user_id")
    return accounts.filter(pk__in=inside, is_superuser=False, is_staff=False).exclude(pk=user.pk)


class ScopedChoicesMixin:
    """ModelAdmin or inline whose foreign keys offer only the user's subtree."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = choices_for(request.user, formfield.queryset)
        return formfield


class MembershipScopeMixin:
    """A scoped administrator changes memberships of its subtree only (never to the whole
    country: a membership without a unit is national), and only those of accounts it manages
    (not its own, not another administrator's); it reads its own. It never adds one: that would
    bind an existing account, which is how an account above it was taken over; it creates an
    account together with its membership on the account's add page. The account of a
    membership is fixed once bound."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if scope_for(request.user).everything:
            return queryset
        managed = manageable_accounts(request.user).values("pk")
        return queryset.filter(Q(user__in=managed) | Q(user=request.user))

    def has_add_permission(self, request):
        return scope_for(request.user).everything and super().has_add_permission(request)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not scope_for(request.user).everything:
            return fields + ("user",)
        return fields

    def _own(self, request, obj):
        return obj is not None and obj.user_id == request.user.pk

    def has_change_permission(self, request, obj=None):
        if self._own(request, obj) and not scope_for(request.user).everything:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._own(request, obj) and not scope_for(request.user).everything:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if scope_for(request.user).everything:
            return form

        class ScopedMembershipForm(form):
            def clean(self):
                data = super().clean()
                if not any(data.get(level) for level in ("province", "district", "commune")):
                    raise ValidationError(
                        _(
                            "Choose a unit of your province: only a national administrator "
                            "can grant a role over the whole country."
                        )
                    )
                return data

        return ScopedMembershipForm


def check_may_save(may_change: bool) -> None:
    """For a legal object's admin: refuse to save what the user may not change, whatever the
    form said (a new national threshold, a criterion added to a national set)."""
    if not may_change:
        raise PermissionDenied(
            _("Only a national administrator can change a national criteria set.")
        )
