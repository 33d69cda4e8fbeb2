"""Upload → preview (dry run) → confirm. The logic is in services; these views check who may
import, keep the upload's record in the session and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communes.selectors import can_import, districts_for_user, provinces_for_user, scope_for
from criteria.enums import JobStatus
from criteria.models import CriteriaSet

from . import exports, services, sets
from . import jobs as import_jobs
from .errors import ImportFileError, MissingDateError
from .forms import AssessmentImportForm, MatrixTemplateForm, SetImportForm, criteria_sets_for_user
from .services import ImportChanged, ImportOptions

SESSION_KEY = "assessment_imports"
SET_SESSION_KEY = "set_imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _forbidden(request):
    return render(request, "imports/forbidden.html", status=403)


def _record(request, token, key=SESSION_KEY):
    """The caller's own stored upload; another user's token (or a stale one) is a 404."""
    record = request.session.get(key, {}).get(token)
    if record is None:
        raise Http404
    return record


@login_required
@require_safe
def home(request):
    """The administrators' home, where they land after logging in: import, templates,
    exports of each set they may import into, the criteria sets and the Django admin."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    criteria_sets = criteria_sets_for_user(request.user, provinces_for_user(request.user)).order_by(
        "-valid_from", "code"
    )
    return render(request, "imports/home.html", {"criteria_sets": criteria_sets})


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    # Bound on every POST, an empty one included: it is refused with the fields' errors.
    posted = request.method == "POST"
    form = AssessmentImportForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        province = form.cleaned_data["province"]
        if not can_import(request.user, province):
            return _forbidden(request)
        upload = form.cleaned_data["file"]
        options = ImportOptions(
            criteria_set_id=(
                form.cleaned_data["criteria_set"].pk if form.cleaned_data["criteria_set"] else None
            ),
            status=form.cleaned_data["status"],
            assessed_on=form.cleaned_data["assessed_on"],
            province_id=province.pk if province else None,
            district_id=form.cleaned_data["district"].pk if form.cleaned_data["district"] else None,
            sheet=form.cleaned_data["sheet"],
            fmt=form.cleaned_data["fmt"],
        )
        data = upload.read(services.max_upload_bytes() + 1)
        try:
            preview = services.dry_run(
                user=request.user, data=data, file_name=upload.name, options=options
            )
        except ImportFileError as e:
            # A missing date is the date field's question; anything else is the file's.
            form.add_error("assessed_on" if isinstance(e, MissingDateError) else "file", str(e))
        else:
            record = services.store_upload(data=data, file_name=upload.name)
            # The fingerprint holds the preview's messages, which are in the page's language:
            # confirm re-runs the preview in that same language.
            record.update(
                options=options.to_json(),
                fingerprint=preview.fingerprint,
                language=translation.get_language(),
                rows=preview.ready_count,  # a large confirm becomes a background job
            )
            imports = request.session.get(SESSION_KEY, {})
            imports[record["token"]] = record
            request.session[SESSION_KEY] = imports
            return redirect("imports:preview", token=record["token"])
    template_form = MatrixTemplateForm(user=request.user, auto_id="template_%s")
    return render(
        request,
        "imports/upload.html",
        {"form": form, "template_form": template_form},
        status=400 if form.errors else 200,  # a refused file or field
    )


def _preview(request, record):
    data = services.load_upload(record)
    return services.dry_run(
        user=request.user,
        data=data,
        file_name=record["file_name"],
        options=ImportOptions.from_json(record["options"]),
    )


@login_required
def preview(request, token):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token)
    try:
        result = _preview(request, record)
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        return redirect("imports:upload")
    return render(
        request, "imports/preview.html", {"preview": result, "token": token, "record": record}
    )


@login_required
@require_POST
def confirm(request, token):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token)
    if import_jobs.should_queue(record):
        job = import_jobs.start(user=request.user, record=record)
        if job is not None:  # else the queue is unreachable: confirmed here, as without one
            _forget(request, SESSION_KEY, token)
            return redirect("imports:job", pk=job.pk)
    options = ImportOptions.from_json(record["options"])
    try:
        data = services.load_upload(record)
        with translation.override(record.get("language")):
            result = services.apply_import(
                user=request.user,
                data=data,
                file_name=record["file_name"],
                options=options,
                fingerprint=record["fingerprint"],
            )
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        return redirect("imports:preview", token=token)
    services.discard_upload(record)
    imports = request.session.get(SESSION_KEY, {})
    imports.pop(token, None)
    request.session[SESSION_KEY] = imports
    counts = result.counts
    messages.success(
        request,
        _("Imported %(file)s: %(new)s created, %(update)s updated, %(skip)s unchanged.")
        % {"file": record["file_name"], **counts},
    )
    return redirect("imports:upload")


def _job(request, pk):
    """A job the user may see (theirs, or their area's as its admin); any other is a 404,
    whoever asks (a job's existence is not shown to anyone else)."""
    return import_jobs.refresh(get_object_or_404(import_jobs.visible_jobs(request.user), pk=pk))


@login_required
@require_safe
def job(request, pk):
    """A background import: its progress while it runs (the page reloads itself, without
    script), then its result or why it failed."""
    import_job = _job(request, pk)
    context = {
        "job": import_job,
        "progress": import_jobs.progress(import_job),
        "under_way": import_job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
    }
    return render(request, "imports/job.html", context)


@login_required
@require_POST
def job_retry(request, pk):
    """Run a failed job's stored upload again, as a new job."""
    import_job = _job(request, pk)
    if import_job.status != JobStatus.FAILED:
        return redirect("imports:job", pk=import_job.pk)
    try:
        services.load_upload(import_job.record)  # still there, unchanged
    except ImportChanged as e:
        messages.error(request, str(e))
        return redirect("imports:job", pk=import_job.pk)
    again = import_jobs.retry(import_job, user=request.user)
    if again is None:
        messages.error(request, _("The job queue cannot be reached; try again in a moment."))
        return redirect("imports:job", pk=import_job.pk)
    return redirect("imports:job", pk=again.pk)


@login_required
def error_file(request, token):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token)
    try:
        result = _preview(request, record)
        content = services.error_workbook(
            data=services.load_upload(record), file_name=record["file_name"], errors=result.errors
        )
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        return redirect("imports:upload")
    response = HttpResponse(content, content_type=XLSX)
    stem = record["file_name"].rsplit(".", 1)[0]
    response["Content-Disposition"] = f'attachment; filename="{stem}-errors.xlsx"'
    return response


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _visible_set(request, code):
    """A set the user may import into; any other is a 404."""
    sets = criteria_sets_for_user(request.user, provinces_for_user(request.user))
    return get_object_or_404(sets, code=code)


@login_required
def export_assessments(request, code):
    """The set's assessments in the user's scope, as a matrix or a long list (?fmt=long)."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    criteria_set = _visible_set(request, code)
    fmt = "long" if request.GET.get("fmt") == "long" else "matrix"
    content = exports.assessments_workbook(criteria_set=criteria_set, fmt=fmt, user=request.user)
    return _xlsx(content, f"{criteria_set.code}-{fmt}.xlsx")


@login_required
def set_workbook(request, code):
    """The set as the workbook the set import reads (its export, and a template to edit)."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    criteria_set = _visible_set(request, code)
    return _xlsx(exports.set_workbook(criteria_set), f"{criteria_set.code}.xlsx")


@login_required
def template_file(request, kind):
    """Blank templates generated from the database: ?criteria_set=<code> for the matrix
    (and optionally the long list), ?district= or ?province= (pk) for the matrix rows."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    code = request.GET.get("criteria_set", "")
    criteria_set = _visible_set(request, code) if code else None
    if kind == "units":
        return _xlsx(exports.units_template(), "units-template.xlsx")
    if kind == "set":
        return _xlsx(exports.set_workbook(None), "criteria-set-template.xlsx")
    if kind == "long":
        return _xlsx(exports.long_template(criteria_set=criteria_set), "assessments-list.xlsx")
    if kind != "matrix" or criteria_set is None:
        raise Http404
    district = _pk_in(districts_for_user(request.user), request.GET.get("district"))
    province = _pk_in(provinces_for_user(request.user), request.GET.get("province"))
    communes = exports.communes_for_template(request.user, province=province, district=district)
    content = exports.matrix_template(criteria_set=criteria_set, communes=communes)
    return _xlsx(content, f"{criteria_set.code}-template.xlsx")


def _pk_in(queryset, value):
    if not value:
        return None
    if not (str(value).isascii() and str(value).isdigit()):
        # "²" and "٤٢" are digits to str.isdigit(); "²" is not a number to int(): a 500.
        raise Http404
    return get_object_or_404(queryset, pk=value)


# -- Criteria-set workbooks -----------------------------------------------------------------


def _importable_set(request, code):
    """A set the user may replace from a workbook (national sets: national admins only; a
    provincial variant: also its province's admins); any other is a 404."""
    criteria_set = get_object_or_404(CriteriaSet.objects.select_related("province"), code=code)
    if not can_import(request.user, criteria_set.province):
        raise Http404
    return criteria_set


def _forget(request, key, token):
    records = request.session.get(key, {})
    records.pop(token, None)
    request.session[key] = records


@login_required
@require_http_methods(["GET", "POST"])
def set_upload(request):
    """Upload a set's workbook; the dry run's outcome is kept for the preview."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    code = request.GET.get("set", "")
    criteria_set = _importable_set(request, code) if code else None
    posted = request.method == "POST"
    form = SetImportForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(services.max_upload_bytes() + 1)
        try:
            preview = sets.import_criteria_set(
                user=request.user,
                data=data,
                file_name=upload.name,
                new_version=form.cleaned_data["new_version"],
            )
        except ImportFileError as e:
            form.add_error("file", str(e))
        else:
            record = services.store_upload(data=data, file_name=upload.name)
            record["fingerprint"] = preview.fingerprint
            record["new_version"] = form.cleaned_data["new_version"]
            records = request.session.get(SET_SESSION_KEY, {})
            records[record["token"]] = record
            request.session[SET_SESSION_KEY] = records
            return redirect("imports:set_preview", token=record["token"])
    return render(
        request,
        "imports/set_upload.html",
        {"form": form, "criteria_set": criteria_set},
        status=400 if form.errors else 200,  # a refused file
    )


@login_required
def set_preview(request, token):
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token, SET_SESSION_KEY)
    try:
        result = sets.import_criteria_set(
            user=request.user,
            data=services.load_upload(record),
            file_name=record["file_name"],
            new_version=record.get("new_version", False),
        )
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        return redirect("imports:set_upload")
    changed = result.fingerprint != record["fingerprint"]
    if changed:
        # The data moved since the upload; what the user sees now is what confirm applies.
        records = request.session[SET_SESSION_KEY]
        records[token] = {**record, "fingerprint": result.fingerprint}
        request.session[SET_SESSION_KEY] = records
    context = {
        "preview": result,
        "token": token,
        "by_kind": sets.counts_by_kind(result),
        "changed": changed,
    }
    return render(request, "imports/set_preview.html", context)


@login_required
@require_POST
def set_confirm(request, token):
    """Apply exactly the previewed outcome: same bytes (SHA-256), same fingerprint."""
    if not scope_for(request.user).is_admin:
        return _forbidden(request)
    record = _record(request, token, SET_SESSION_KEY)
    try:
        result = sets.import_criteria_set(
            user=request.user,
            data=services.load_upload(record),
            file_name=record["file_name"],
            apply=True,
            fingerprint=record["fingerprint"],
            new_version=record.get("new_version", False),
        )
    except (ImportChanged, ImportFileError) as e:
        messages.error(request, str(e))
        if isinstance(e, sets.SetImportChanged):
            return redirect("imports:set_preview", token=token)
        return redirect("imports:set_upload")
    if result.errors:
        messages.error(request, _("Some rows are rejected; nothing was imported."))
        return redirect("imports:set_preview", token=token)
    services.discard_upload(record)
    _forget(request, SET_SESSION_KEY, token)
    messages.success(
        request,
        _("Imported %(file)s: %(new)s created, %(update)s updated, %(skip)s unchanged.")
        % {"file": record["file_name"], **result.counts},
    )
    return redirect("criteria:set_detail", code=result.subject)
