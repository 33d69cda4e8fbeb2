"""Commune groups in bulk: upload → preview (dry run) → confirm, for administrators, each
within their own subtree (criteria.imports.groups)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from communes.selectors import scope_for

from . import groups, services
from .errors import ImportFileError
from .services import ImportChanged
from .views import _forbidden, _forget, _record

GROUP_SESSION_KEY = "group_imports"


class GroupImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Commune groups (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=gettext_lazy(
            "First row: “mã xã” and “nhóm”; then one commune a row: its GSO code and its group "
            "(1, 2 or 3) under QĐ 51/2025/QĐ-TTg."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_upload(request):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    posted = request.method == "POST"
    form = GroupImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(services.max_upload_bytes() + 1)
        try:
            preview = groups.import_commune_groups(
                user=request.user, data=data, file_name=upload.name
            )
        except ImportFileError as e:
            form.add_error("file", str(e))
        else:
            record = services.store_upload(data=data, file_name=upload.name)
            record["fingerprint"] = preview.fingerprint
            records = request.session.get(GROUP_SESSION_KEY, {})
            records[record["token"]] = record
            request.session[GROUP_SESSION_KEY] = records
            return redirect("imports:group_preview", token=record["token"])
    return render(
        request, "imports/group_upload.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def group_preview(request, token):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token, GROUP_SESSION_KEY)
    try:
        preview = groups.import_commune_groups(
            user=request.user, data=services.load_upload(record), file_name=record["file_name"]
        )
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        return redirect("imports:group_upload")
    changed = preview.fingerprint != record["fingerprint"]
    if changed:
        records = request.session[GROUP_SESSION_KEY]
        records[token] = {**record, "fingerprint": preview.fingerprint}
        request.session[GROUP_SESSION_KEY] = records
    return render(
        request,
        "imports/group_preview.html",
        {"preview": preview, "token": token, "changed": changed},
        status=400 if preview.errors else 200,
    )


@login_required
@require_POST
def group_confirm(request, token):
    """Write exactly the previewed outcome, or nothing."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token, GROUP_SESSION_KEY)
    try:
        preview = groups.import_commune_groups(
            user=request.user,
            data=services.load_upload(record),
            file_name=record["file_name"],
            apply=True,
            fingerprint=record["fingerprint"],
        )
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        if isinstance(e, groups.GroupImportChanged):
            return redirect("imports:group_preview", token=token)
        return redirect("imports:group_upload")
    if preview.errors:
        messages.error(request, _("Some rows are rejected; nothing was imported."))
        return redirect("imports:group_preview", token=token)
    services.discard_upload(record)
    _forget(request, GROUP_SESSION_KEY, token)
    counts = preview.counts
    messages.success(
        request,
        _(
            "Commune groups imported from %(file)s: %(new)s set, %(update)s changed, "
            "%(skip)s unchanged."
        )
        % {"file": record["file_name"], **counts},
    )
    return redirect("imports:home")
