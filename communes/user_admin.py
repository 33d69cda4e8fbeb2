"""Users and groups in the admin, under the subtree rule.

Django's own UserAdmin lists every account and lets anyone with ``auth.change_user`` tick
"superuser", grant permissions or join groups: a province's administrator could so edit the
national administrator, or make themselves one. Here a scoped administrator sees and changes
only the accounts bound to units inside their province (and their own), and never what grants
power: superuser and staff status, groups and permissions. Groups (which carry permissions) are
read-only to them. The national administrator keeps Django's admin unchanged.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .admin_forms import RefusedFormIs400Mixin
from .models import Membership
from .selectors import scope_for, scoped

User = get_user_model()

# The fields of Django's UserAdmin that grant power over the whole portal.
POWER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _is_national(request) -> bool:
    return scope_for(request.user).everything


class ScopedUserAdmin(RefusedFormIs400Mixin, UserAdmin):
    def user_change_password(self, request, id, form_url=""):
        return self._refused(request, super().user_change_password(request, id, form_url))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_national(request):
            return queryset
        visible = scoped(request.user, Membership.objects.all()).values("user_id")
        return queryset.filter(pk__in=visible) | queryset.filter(pk=request.user.pk)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if _is_national(request) else fields + POWER_FIELDS

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if _is_national(request) or obj is not None:
            return fieldsets
        # The add form has no read-only fields: leave out the ones a scoped admin may not set.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in POWER_FIELDS]})
            for name, options in fieldsets
        ]


class ScopedGroupAdmin(RefusedFormIs400Mixin, GroupAdmin):
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
