"""Login lock-outs (django-axes) in the admin: who is locked, and lifting a lock.

django-axes keeps one ``AccessAttempt`` row per username, address and browser with its count
of failed logins; an address is locked while the failures of all its rows reach
AXES_FAILURE_LIMIT (settings.AXES_LOCKOUT_PARAMETERS). Axes' own admin pages are switched off
(AXES_ENABLE_ADMIN): they list every row to anyone with the permission. Here a national
administrator sees every row; a province's administrator only the rows of the accounts it
manages (communes.admin_scope.manageable_accounts), never a row of an account above it nor of a
username that is no account (password spraying: a national matter). Lifting a lock deletes the
rows, and the admin's log (LogEntry) keeps who lifted which and when.
"""

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in
from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .admin_forms import MissingObjectIs404Mixin
from .admin_scope import manageable_accounts
from .selectors import scope_for


def _address_failures():
    """The failed logins of all rows of the outer row's address: what locks the address."""
    same_address = (
        AccessAttempt.objects.filter(ip_address=OuterRef("ip_address"))
        .order_by()
        .values("ip_address")
        .annotate(n=Sum("failures_since_start"))
        .values("n")
    )
    return Coalesce(Subquery(same_address, output_field=IntegerField()), 0)


class LockoutAdmin(MissingObjectIs404Mixin, admin.ModelAdmin):
    list_display = ("username", "ip_address", "failures_since_start", "locked", "attempt_time")
    list_filter = ("attempt_time",)
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    fields = ("username", "ip_address", "user_agent", "path_info", "failures_since_start")
    readonly_fields = fields
    actions = ["lift_locks"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(address_failures=_address_failures())
        if scope_for(request.user).everything:
            return queryset
        usernames = manageable_accounts(request.user).values("username")
        return queryset.filter(username__in=usernames)

    @admin.display(description=_("address locked"), boolean=True)
    def locked(self, obj):
        return obj.address_failures >= settings.AXES_FAILURE_LIMIT

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def log_deletions(self, request, queryset):
        # One line per row in the admin's log (the delete page, "delete selected" and
        # lift_locks): who lifted the lock of which username at which address, and when.
        # Axes' own text for a row names only its time.
        content_type = ContentType.objects.get_for_model(AccessAttempt)
        return LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type=content_type,
                object_id=str(row.pk),
                object_repr=f"{row.username} @ {row.ip_address}"[:200],
                action_flag=DELETION,
                change_message=gettext("Lock lifted."),
            )
            for row in queryset
        )

    @admin.action(description=_("Lift the lock of the selected logins"), permissions=["delete"])
    def lift_locks(self, request, queryset):
        rows = list(queryset)
        self.log_deletions(request, rows)
        AccessAttempt.objects.filter(pk__in=[row.pk for row in rows]).delete()
        self.message_user(
            request,
            ngettext(
                "The lock of %(count)d login was lifted.",
                "The locks of %(count)d logins were lifted.",
                len(rows),
            )
            % {"count": len(rows)},
            messages.SUCCESS,
        )


admin.site.register(AccessAttempt, LockoutAdmin)


@receiver(user_logged_in, dispatch_uid="communes.lockouts.forget_own_failures")
def forget_own_failures(sender, request, user, **kwargs):
    """A successful login forgets the failures of that username from that address only.

    Not axes' AXES_RESET_ON_SUCCESS: it deletes every row of each lock-out parameter, and with
    the address among them that is every username's failures from the address, so one valid
    account would reset a password-spraying count after every few guesses."""
    if request is None:
        return
    AccessAttempt.objects.filter(
        username=user.get_username(), ip_address=get_client_ip_address(request)
    ).delete()
