"""Criteria set pages (public) and the recognition workflow (private).

Workflow views are thin: they find the object through criteria.selectors (outside the user's
subtree: 404), parse the input with a form, call a criteria.workflow service and redirect. A
WorkflowError becomes 403 ("forbidden"), 409 ("state") or 400 ("invalid"), with its message
shown on the page the user was on and what they entered kept.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communes.enums import Role
from communes.lineage import lineage_for
from communes.selectors import can_import, communes_for_user, scope_for

from . import selectors, workflow
from .forms import (
    CompareForm,
    ConditionsForm,
    EntryForm,
    EvidenceForm,
    RecognitionForm,
    ReturnForm,
    RevokeForm,
    StartAssessmentForm,
    StepForm,
)
from .models import CriteriaSet
from .workflow import WorkflowError

HTTP_STATUS = {"forbidden": 403, "state": 409, "invalid": 400}


def set_list(request):
    return render(request, "criteria/set_list.html", {"sets": selectors.criteria_sets()})


def set_detail(request, code):
    try:
        criteria_set = selectors.criteria_set_detail(code)
    except CriteriaSet.DoesNotExist:
        raise Http404 from None
    criteria = list(criteria_set.criteria.all())
    n_indicators = sum(len(c.indicators.all()) for c in criteria)
    groups = []
    for criterion in criteria:
        if not groups or groups[-1][0] != criterion.group:
            groups.append((criterion.group, []))
        groups[-1][1].append(criterion)
    return render(
        request,
        "criteria/set_detail.html",
        {
            "set": criteria_set,
            "groups": groups,
            "n_criteria": len(criteria),
            "n_indicators": n_indicators,
            "missing_indicators": max(
                (criteria_set.declared_indicator_count or 0) - n_indicators, 0
            ),
            "can_import": can_import(request.user, criteria_set.province),
            "in_force": criteria_set.in_force(),
        },
    )


# --- Workflow ---------------------------------------------------------------------------------


def _forbidden(request, message, *, assessment=None):
    """Visible but not the user's to change: 403, with why in plain words."""
    return render(
        request,
        "criteria/forbidden.html",
        {"message": message, "assessment": assessment},
        status=403,
    )


def _dossier_url(assessment) -> str:
    return reverse("criteria:assessment", args=[assessment.pk])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assessment_start(request, code):
    commune = selectors.commune_for_user(request.user, code)
    scope = scope_for(request.user)
    if scope.role != Role.COMMUNE_OFFICIAL or scope.commune_id != commune.pk:
        return _forbidden(request, _("Only the commune's own officials start its assessments."))
    form = StartAssessmentForm(
        request.POST if request.method == "POST" else None,
        sets=selectors.startable_sets(commune),
        initial_set=selectors.set_in_force(commune, timezone.localdate()),
    )
    status = 200
    if form.is_valid():
        try:
            assessment = workflow.start_assessment(
                user=request.user,
                unit=commune,
                criteria_set=form.cleaned_data["criteria_set"],
                assessed_on=form.cleaned_data["assessed_on"],
                copy_previous=form.cleaned_data["copy_previous"],
            )
        except (WorkflowError, ValueError) as error:
            form.add_error(None, getattr(error, "message", str(error)))
            status = HTTP_STATUS.get(getattr(error, "kind", "invalid"), 400)
        else:
            messages.success(request, _("The assessment was started. Enter the results below."))
            return redirect("criteria:assessment_edit", pk=assessment.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "criteria/assessment_start.html",
        {
            "commune": commune,
            "form": form,
            # A commune closed by the 2025 merger: say so, and link to what it became.
            "lineage": lineage_for(commune) if commune.valid_to else None,
        },
        status=status,
    )


def _render_dossier(request, assessment, *, status=200, error="", forms=None):
    user = request.user
    actions = workflow.allowed_actions(user, assessment)
    dossier = selectors.dossier(assessment)
    forms = forms or {}
    revocable = [
        r
        for r in dossier.recognitions
        if r.is_active and workflow.is_province_office_for(user, assessment)
    ]
    # The set's rules, shown before any decision is typed: the count of criteria met, what
    # stands in the way, and the conditions of the procedure to record.
    gate, conditions_form = None, None
    may_record = workflow.may_record_conditions(user, assessment)
    if may_record or {"appraise", "recognise"} & actions:
        # As of today; the service checks the decision's own date again when it is recorded.
        gate = workflow.recognition_gate(assessment, on=timezone.localdate())
        if may_record and gate.conditions:
            conditions_form = forms.get("conditions") or ConditionsForm(lines=gate.conditions)
    context = {
        "dossier": dossier,
        "assessment": assessment,
        "actions": actions,
        "lock_reason": workflow.lock_reason(assessment),
        "next_actor": workflow.next_actor_label(assessment),
        "error": error,
        "revocable": revocable,
        "can_audit": _can_audit(user),
        "gate": gate,
        "conditions_form": conditions_form,
        "submit_blockers": workflow.submit_blockers(assessment) if "submit" in actions else [],
    }
    return render(request, "criteria/assessment_detail.html", context, status=status)


@login_required
@require_safe
def assessment_detail(request, pk):
    assessment = selectors.assessment_for_user(request.user, pk)
    return _render_dossier(request, assessment)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assessment_edit(request, pk):
    assessment = selectors.assessment_for_user(request.user, pk)
    if not workflow.is_commune_official_for(request.user, assessment):
        return _forbidden(
            request,
            _("Only the commune's own officials edit its assessments; you can read it."),
            assessment=assessment,
        )
    if not assessment.is_editable:
        return _forbidden(request, workflow.lock_reason(assessment), assessment=assessment)
    dossier = selectors.dossier(assessment)
    posted = request.method == "POST"
    form = EntryForm(dossier, request.POST if posted else None)
    # The upload button of the evidence section submits the entry form too (see
    # EvidenceForm's form_id): the draft is saved with the file, never thrown away.
    uploading = posted and (request.POST.get("upload") or request.FILES.get("file"))
    evidence_form = EvidenceForm(
        request.POST if uploading else None,
        request.FILES if uploading else None,
        criteria=[b.criterion for b in dossier.blocks],
        form_id="entry-form",
    )
    status = 200
    if posted:
        expected = form.expected_version()
        draft = {
            "expected_version": expected,
            "results": form.results,
            "values": form.values,
            "notes": form.notes,
        }
        if form.errors or expected is None or (uploading and not evidence_form.is_valid()):
            status = 400
        else:
            try:
                if uploading:
                    data = evidence_form.cleaned_data
                    workflow.save_draft_with_evidence(
                        user=request.user,
                        assessment=assessment,
                        draft=draft,
                        evidence={
                            "criterion_id": data["criterion"],
                            "uploaded": data["file"],
                            "title": data["title"],
                            "document_number": data["document_number"],
                            "document_date": data["document_date"],
                        },
                    )
                else:
                    workflow.save_draft(user=request.user, assessment=assessment, **draft)
            except WorkflowError as error:
                form.errors.append(error.message)
                status = HTTP_STATUS[error.kind]
            else:
                if uploading:
                    messages.success(
                        request, _("The draft was saved and the evidence file was added.")
                    )
                    return redirect(reverse("criteria:assessment_edit", args=[pk]) + "#evidence")
                messages.success(request, _("The draft was saved."))
                return redirect(_dossier_url(assessment))
    return render(
        request,
        "criteria/assessment_edit.html",
        {
            "dossier": dossier,
            "assessment": assessment,
            "form": form,
            "evidence_form": evidence_form,
        },
        status=status,
    )


@login_required
@require_POST
def evidence_add(request, pk):
    assessment = selectors.assessment_for_user(request.user, pk)
    if not workflow.is_commune_official_for(request.user, assessment):
        return _forbidden(request, _("Only the commune's own officials add evidence."))
    dossier = selectors.dossier(assessment)
    form = EvidenceForm(request.POST, request.FILES, criteria=[b.criterion for b in dossier.blocks])
    status, error = 400, ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.add_evidence(
                user=request.user,
                assessment=assessment,
                criterion_id=data["criterion"],
                uploaded=data["file"],
                title=data["title"],
                document_number=data["document_number"],
                document_date=data["document_date"],
            )
        except WorkflowError as failure:
            error, status = failure.message, HTTP_STATUS[failure.kind]
        else:
            messages.success(request, _("The evidence file was added."))
            return redirect(reverse("criteria:assessment_edit", args=[pk]) + "#evidence")
    return render(
        request,
        "criteria/evidence_error.html",
        {"assessment": assessment, "evidence_form": form, "error": error},
        status=status,
    )


@login_required
@require_safe
def evidence_download(request, pk):
    # The scope check is the whole point: files are never served from MEDIA_URL.
    evidence = selectors.evidence_for_user(request.user, pk)
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


@login_required
@require_POST
def evidence_delete(request, pk):
    evidence = selectors.evidence_for_user(request.user, pk)
    try:
        workflow.remove_evidence(user=request.user, evidence=evidence)
    except WorkflowError as error:
        return _render_dossier(
            request, evidence.assessment, status=HTTP_STATUS[error.kind], error=error.message
        )
    messages.success(request, _("The evidence file was removed."))
    return redirect(
        reverse("criteria:assessment_edit", args=[evidence.assessment_id]) + "#evidence"
    )


STEPS = {
    # action: (service, form, title of its confirmation page, confirm button, done message)
    "submit": (
        workflow.submit,
        StepForm,
        _("Submit the dossier"),
        _("Yes, submit the dossier"),
        _("The dossier was submitted."),
    ),
    "verify": (
        workflow.verify,
        StepForm,
        _("Verify the dossier (thẩm tra)"),
        _("Yes, record the verification"),
        _("The dossier was verified."),
    ),
    "appraise": (
        workflow.appraise,
        StepForm,
        _("Appraise the dossier (thẩm định)"),
        _("Yes, record the appraisal"),
        _("The dossier was appraised."),
    ),
    "return": (
        workflow.return_dossier,
        ReturnForm,
        _("Return the dossier to the commune"),
        _("Yes, return the dossier"),
        _("The dossier was returned to the commune."),
    ),
    "recognise": (
        workflow.recognise,
        RecognitionForm,
        _("Record the recognition decision"),
        _("Yes, record the recognition"),
        _("The recognition was recorded."),
    ),
}


def _form_error(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


def _render_step(request, *, assessment, action, form, preview, error="", status=200, **extra):
    title, button = STEPS[action][2:4]
    return render(
        request,
        "criteria/step_confirm.html",
        {
            "assessment": assessment,
            "action": action,
            "title": title,
            "button": button,
            "form": form,
            "preview": preview,
            "error": error,
            **extra,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assessment_action(request, pk, action):
    """A state change of the dossier. GET: its confirmation page (what will happen, to which
    dossier, who acts next and who is emailed) with its form; POST from that page: the step,
    through the workflow service. A step the user may not take now is refused (403/409/400)
    with why, on the same page, and writes nothing."""
    assessment = selectors.assessment_for_user(request.user, pk)
    if action not in STEPS:
        raise Http404
    service, form_class = STEPS[action][:2]
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, initial={"version": assessment.version})
    try:
        preview = workflow.step_preview(request.user, assessment, action)
    except WorkflowError as failure:
        return _render_step(
            request,
            assessment=assessment,
            action=action,
            form=form,
            preview=None,
            error=failure.message,
            status=HTTP_STATUS[failure.kind],
        )
    if not posted:
        return _render_step(
            request, assessment=assessment, action=action, form=form, preview=preview
        )
    if not form.is_valid():
        return _render_step(
            request,
            assessment=assessment,
            action=action,
            form=form,
            preview=preview,
            error=_form_error(form),
            status=400,
        )
    data = dict(form.cleaned_data)
    try:
        service(
            user=request.user,
            assessment=assessment,
            expected_version=data.pop("version"),
            **data,
        )
    except WorkflowError as failure:
        return _render_step(
            request,
            assessment=assessment,
            action=action,
            form=form,
            preview=None if failure.kind == "state" else preview,
            error=failure.message,
            status=HTTP_STATUS[failure.kind],
        )
    messages.success(request, str(STEPS[action][4]))
    return redirect(_dossier_url(assessment))


@login_required
@require_POST
def assessment_conditions(request, pk):
    assessment = selectors.assessment_for_user(request.user, pk)
    if not workflow.is_province_office_for(request.user, assessment):
        return _forbidden(
            request,
            _("Only the provincial coordination office records the recognition conditions."),
            assessment=assessment,
        )
    lines = workflow.recognition_gate(assessment, on=timezone.localdate()).conditions
    form = ConditionsForm(request.POST, lines=lines)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return _render_dossier(
            request, assessment, status=400, error=error, forms={"conditions": form}
        )
    try:
        workflow.record_conditions(user=request.user, assessment=assessment, checks=form.checks)
    except WorkflowError as failure:
        return _render_dossier(
            request,
            assessment,
            status=HTTP_STATUS[failure.kind],
            error=failure.message,
            forms={"conditions": form},
        )
    messages.success(request, _("The recognition conditions were recorded."))
    return redirect(_dossier_url(assessment) + "#recognition-rules")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recognition_revoke(request, pk):
    """GET: the revocation's confirmation page with its form (date, reason); POST from it:
    the revocation. An empty form is refused (400) before anything else; a recognition
    revoked meanwhile is 409."""
    recognition = selectors.recognition_for_user(request.user, pk)
    posted = request.method == "POST"
    form = RevokeForm(request.POST if posted else None)
    error, status = "", 200
    if posted and not form.is_valid():
        error, status = _form_error(form), 400
    else:
        try:
            workflow.check_revoke(request.user, recognition)
            if posted:
                workflow.revoke_recognition(
                    user=request.user,
                    recognition=recognition,
                    revoked_on=form.cleaned_data["revoked_on"],
                    reason=form.cleaned_data["reason"],
                )
        except WorkflowError as failure:
            error, status = failure.message, HTTP_STATUS[failure.kind]
        else:
            if posted:
                messages.success(request, _("The recognition was revoked."))
                if recognition.assessment_id is None:
                    return redirect(recognition.unit.public_url())
                return redirect(_dossier_url(recognition.assessment))
    return render(
        request,
        "criteria/revoke_confirm.html",
        {
            "recognition": recognition,
            "assessment": recognition.assessment,
            "form": form,
            "error": error,
            "may_revoke": status in (200, 400),
        },
        status=status,
    )


@login_required
@require_safe
def inbox(request):
    scope = scope_for(request.user)
    own_commune = None
    if scope.role == Role.COMMUNE_OFFICIAL:
        own_commune = communes_for_user(request.user).first()
    return render(
        request,
        "criteria/inbox.html",
        {"assessments": selectors.inbox_for_user(request.user), "own_commune": own_commune},
    )


@login_required
@require_safe
def commune_history(request, code):
    # ``?on=`` names the commune valid that day, as on the public pages: a closed commune's
    # timeline keeps its own address (/criteria/c/18838/history/?on=2025-06-30 is Lâm Hợp).
    try:
        day = datetime.date.fromisoformat(request.GET["on"]) if request.GET.get("on") else None
    except ValueError:
        return render(
            request,
            "reports/bad_date.html",
            {"value": request.GET["on"], "name": "on"},
            status=400,
        )
    commune = selectors.commune_for_user(request.user, code, on=day)
    timeline = selectors.commune_timeline(request.user, commune)
    lineage, merger = selectors.lineage_history(commune, on=day)
    comparing = "first" in request.GET or "second" in request.GET
    form = CompareForm(request.GET if comparing else None, assessments=timeline)
    comparison = None
    status = 200
    if comparing:
        if form.is_valid():
            by_pk = {a.pk: a for a in timeline}
            comparison = selectors.compare(
                by_pk[form.cleaned_data["first"]], by_pk[form.cleaned_data["second"]]
            )
        else:
            status = 400
    scope = scope_for(request.user)
    return render(
        request,
        "criteria/commune_history.html",
        {
            "commune": commune,
            "timeline": timeline,
            "form": form,
            "comparison": comparison,
            "lineage": lineage,
            "merger": merger,
            "on": day,
            "can_start": scope.role == Role.COMMUNE_OFFICIAL and scope.commune_id == commune.pk,
        },
        status=status,
    )


def _can_audit(user) -> bool:
    return scope_for(user).role in (Role.DISTRICT_OFFICE, Role.PROVINCE_OFFICE, Role.ADMIN)


@login_required
@require_safe
def assessment_audit(request, pk):
    assessment = selectors.assessment_for_user(request.user, pk)
    if not _can_audit(request.user):
        return _forbidden(
            request,
            _("The audit trail is for the reviewing coordination offices and administrators."),
            assessment=assessment,
        )
    return render(
        request,
        "criteria/assessment_audit.html",
        {"assessment": assessment, "entries": selectors.audit_trail(assessment)},
    )
