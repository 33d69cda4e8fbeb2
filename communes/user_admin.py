"""Users and groups in the admin, under the subtree rule.

Django's own UserAdmin lists every account and lets anyone with ``auth.change_user`` tick
"superuser", grant permissions or join groups: a province's administrator could so edit the
national administrator, or make themselves one. Here a scoped administrator sees and changes
only the accounts it manages (``communes.admin_scope.manageable_accounts``: bound inside its
province, neither superuser nor staff) and its own, and never what grants power: superuser and
staff status, groups and permissions. It creates an account and the account's membership in
one form, so that every account it makes is born inside its province; it never binds an
account that exists already. Groups (which carry permissions) are read-only to them. The
national administrator keeps Django's admin unchanged.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_forms import MissingObjectIs404Mixin, RefusedFormIs400Mixin
from .admin_scope import manageable_accounts
from .enums import Role
from .models import Commune, District, Province
from .selectors import communes_for_user, districts_for_user, scope_for
from .services import bind_new_account, closed_unit_message

User = get_user_model()

# The fields of Django's UserAdmin that grant power over the whole portal.
POWER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
# The unit each role is bound to, on the scoped add form (province-level roles: its province).
UNIT_FIELD = {Role.COMMUNE_OFFICIAL: "commune", Role.DISTRICT_OFFICE: "district"}


def _is_national(request) -> bool:
    return scope_for(request.user).everything


class ScopedAccountCreationForm(AdminUserCreationForm):
    """A new account and its role in the administrator's province, in one form."""

    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    district = forms.ModelChoiceField(
        label=_("district"),
        queryset=District.objects.none(),
        required=False,
        help_text=_("For a district coordination office."),
    )
    commune = forms.ModelChoiceField(
        label=_("commune"),
        queryset=Commune.objects.none(),
        required=False,
        help_text=_("For a commune official."),
    )
    # The administrator filling the form in (set by ScopedUserAdmin.get_form).
    administrator = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only units valid today: a unit closed on 30/06/2025 (every district, the former
        # map's communes and provinces) gets no new account (communes.services.bind_new_account).
        today = timezone.localdate()
        self.fields["district"].queryset = (
            districts_for_user(self.administrator).valid_on(today).order_by("name")
        )
        self.fields["commune"].queryset = (
            communes_for_user(self.administrator).valid_on(today).order_by("name")
        )

    def clean(self):
        data = super().clean()
        role = data.get("role")
        level = UNIT_FIELD.get(role)
        if level and not data.get(level):
            self.add_error(level, _("Choose the unit this role is bound to."))
        elif role and level:
            self.unit = data[level]
        elif role:
            province_id = scope_for(self.administrator).province_id
            if province_id is None:
                self.add_error("role", _("Only a province's administrator can grant this role."))
            else:
                province = Province.objects.get(pk=province_id)
                if province.is_valid_on(timezone.localdate()):
                    self.unit = province
                else:
                    self.add_error("role", closed_unit_message(province))
        return data


class ScopedUserAdmin(MissingObjectIs404Mixin, RefusedFormIs400Mixin, UserAdmin):
    def user_change_password(self, request, id, form_url=""):
        return self._refused(request, super().user_change_password(request, id, form_url))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_national(request):
            return queryset
        managed = manageable_accounts(request.user).values("pk")
        return queryset.filter(Q(pk__in=managed) | Q(pk=request.user.pk))

    def has_delete_permission(self, request, obj=None):
        own = obj is not None and obj.pk == request.user.pk
        if own and not _is_national(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if _is_national(request) else fields + POWER_FIELDS

    def get_fieldsets(self, request, obj=None):
        if _is_national(request) or obj is not None:
            return super().get_fieldsets(request, obj)
        # The add form has no read-only fields: the ones a scoped admin may not set are left
        # out, and the account's role and unit come with it.
        return [
            (
                None,
                {"fields": ["username", "usable_password", "password1", "password2"]},
            ),
            (_("Role"), {"fields": ["role", "district", "commune"]}),
        ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not _is_national(request):
            kwargs["form"] = type(
                "ScopedAccountCreationForm",
                (ScopedAccountCreationForm,),
                {"administrator": request.user},
            )
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and not _is_national(request):
            if obj.is_superuser or obj.is_staff:
                raise PermissionDenied
            super().save_model(request, obj, form, change)
            # In the admin's transaction: the account exists only with its membership.
            bind_new_account(
                account=obj, role=form.cleaned_data["role"], unit=form.unit, by=request.user
            )
            return
        super().save_model(request, obj, form, change)


class ScopedGroupAdmin(MissingObjectIs404Mixin, RefusedFormIs400Mixin, GroupAdmin):
    def has_add_permission(self, request):
        return _is_national(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return _is_national(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_national(request) and super().has_delete_permission(request, obj)


admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, ScopedGroupAdmin)
