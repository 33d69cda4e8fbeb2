"""django-simple-history's admin pages, held to the rules of the change page they belong to."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from communes.selectors import scope_for


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history pages obey ``get_queryset`` and the change permission.

    As shipped, ``history_view`` falls back to the history of an object that ``get_queryset``
    does not return (meant for deleted objects), and ``history_form_view`` looks the version up
    without ``get_queryset`` at all and saves a revert on view permission alone. A province's
    administrator could so read the history of assessments in another province, and revert
    them or a national set's threshold (found by tests/security/test_access_matrix.py).

    Here a scoped user gets the admin's usual answers: "does not exist" for an object outside
    the subtree (the redirect on the history list, 404 on a version, as for an unknown one),
    and 403 for a revert without the permission to change the object. Only a national
    administrator still sees the history of deleted objects.
    """

    def _visible_object(self, request, object_id):
        return self.get_object(request, unquote(object_id))

    def history_view(self, request, object_id, extra_context=None):
        scoped_user = not scope_for(request.user).everything
        if scoped_user and self._visible_object(request, object_id) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, unquote(object_id))
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._visible_object(request, object_id)
        if obj is None and not scope_for(request.user).everything:
            raise Http404
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )
