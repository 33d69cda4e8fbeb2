"""Forms of the recognition workflow. They only parse input: criteria.workflow decides."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.enums import ResultStatus
from communes.text import visible_text

from .enums import IndicatorKind
from .models import CriteriaSet
from .selectors import CriterionBlock, Dossier, IndicatorLine
from .thresholds import reaches
from .workflow import (
    VALUE_DECIMALS,
    VALUE_LIMIT,
    ConditionInput,
    ConditionLine,
    CriterionInput,
    IndicatorInput,
    decidable,
    disagreements,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def today() -> datetime.date:
    # TIME_ZONE is Asia/Ho_Chi_Minh: "today" is the commune's day, not UTC's.
    return timezone.localdate()


class PastDateField(forms.DateField):
    """A date that has happened: an assessment, a document, a decision or a revocation dated
    after today records nothing yet (and year 9999 is a typing slip)."""

    def validate(self, value):
        super().validate(value)
        if value and value > today():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")


VISIBLE = _(
    "Write it in visible characters: spaces, zero-width characters and direction marks alone "
    "are not enough."
)
VISIBLE_REASON = _(
    "Write the reason in visible characters: spaces, zero-width characters and direction marks "
    "alone say nothing to the commune."
)


class VisibleCharField(forms.CharField):
    """Text that must show something: zero-width characters, direction marks and the
    replacement character alone count as empty (communes.text.visible_text)."""

    def __init__(self, *args, invisible_message=VISIBLE, **kwargs):
        self.invisible_message = invisible_message
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not visible_text(value):
            raise forms.ValidationError(self.invisible_message, code="invisible")


class StartAssessmentForm(forms.Form):
    criteria_set = forms.ModelChoiceField(
        label=_("Criteria set"), queryset=CriteriaSet.objects.none(), empty_label=None
    )
    assessed_on = PastDateField(label=_("Date assessed"), initial=today, widget=DATE_INPUT)
    copy_previous = forms.BooleanField(
        label=_("Copy the values of the previous assessment against this set"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, sets, initial_set=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria_set"].queryset = sets
        if initial_set is not None:
            self.fields["criteria_set"].initial = initial_set.pk

    def clean(self):
        data = super().clean()
        chosen, day = data.get("criteria_set"), data.get("assessed_on")
        # Offered only while in force: from its legal effective date until the next set of
        # its kind takes effect (CriteriaSet.in_force).
        if chosen and day and not chosen.in_force().contains(day):
            self.add_error(
                "assessed_on",
                _("The set “%(set)s” does not apply on this date.") % {"set": chosen.display_name},
            )
        return data


class EvidenceForm(forms.Form):
    criterion = forms.TypedChoiceField(label=_("Criterion"), coerce=int)
    title = VisibleCharField(label=_("Title"), max_length=300)
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    document_date = PastDateField(label=_("Document date"), required=False, widget=DATE_INPUT)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, image (PNG, JPEG, WebP) or office document."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg,.webp,.doc,.docx,.xls,.xlsx,.odt,.ods,.pptx"}
        ),
    )

    def __init__(self, *args, criteria, form_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [(c.pk, str(c)) for c in criteria]
        if form_id:
            # Rendered outside the entry form but submitted with it (the HTML form attribute),
            # so that an upload also saves what was typed. Not "required" in the browser: the
            # entry form's Save button must not ask for a file.
            self.use_required_attribute = False
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id


class StepForm(forms.Form):
    """A step's confirmation: the dossier's version the page was built from, so that a
    confirmation made stale by another change is refused (workflow.check_step)."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={
            "required": _("Confirm the step from its confirmation page."),
            "invalid": _("Confirm the step from its confirmation page."),
        },
    )


class ReturnForm(StepForm):
    reason = VisibleCharField(
        label=_("Reason for returning"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        error_messages={"required": _("Say why the dossier is returned.")},
        invisible_message=VISIBLE_REASON,
    )


class RecognitionForm(StepForm):
    decision_number = VisibleCharField(label=_("Decision number"), max_length=60)
    decided_on = PastDateField(label=_("Decision date"), widget=DATE_INPUT, initial=today)
    signer = VisibleCharField(label=_("Signed by"), max_length=200)


class ConditionsForm(forms.Form):
    """The conditions of the recognition procedure, each "met" / "not met" / not yet checked,
    with the evidence it rests on. Built from the set's conditions (RecognitionGate)."""

    CHOICES = [("", _("Not yet checked")), ("yes", _("Met")), ("no", _("Not met"))]

    def __init__(self, *args, lines: list[ConditionLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            pk, check = line.condition.pk, line.check
            self.fields[f"c{pk}_met"] = forms.ChoiceField(
                label=line.condition.name,
                choices=self.CHOICES,
                required=False,
                widget=forms.RadioSelect,
                initial="" if check is None else ("yes" if check.is_met else "no"),
            )
            self.fields[f"c{pk}_evidence"] = forms.CharField(
                label=_("Evidence (document, survey result, confirmation)"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=check.evidence if check else "",
            )

    def rows(self):
        """(condition, its yes/no field, its evidence field), for the template."""
        return [
            (
                line.condition,
                self[f"c{line.condition.pk}_met"],
                self[f"c{line.condition.pk}_evidence"],
            )
            for line in self.lines
        ]

    @property
    def checks(self) -> dict[int, ConditionInput]:
        data = self.cleaned_data
        return {
            line.condition.pk: ConditionInput(
                {"yes": True, "no": False}.get(data[f"c{line.condition.pk}_met"]),
                data[f"c{line.condition.pk}_evidence"],
            )
            for line in self.lines
        }


class RevokeForm(forms.Form):
    revoked_on = PastDateField(label=_("Revoked on"), widget=DATE_INPUT, initial=today)
    reason = VisibleCharField(
        label=_("Reason for revoking"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        invisible_message=VISIBLE_REASON,
    )


class CompareForm(forms.Form):
    first = forms.TypedChoiceField(label=_("Compare"), coerce=int)
    second = forms.TypedChoiceField(label=_("with"), coerce=int)

    def __init__(self, *args, assessments, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (
                a.pk,
                f"{a.assessed_on:%d/%m/%Y} · {a.criteria_set.display_name} · "
                f"{a.get_status_display()}",
            )
            for a in assessments
        ]
        self.fields["first"].choices = choices
        self.fields["second"].choices = choices


# --- The entry form: one row per criterion and indicator -----------------------------------------
# Not a Django Form: the fields are the set's criteria and indicators, named
# c<criterion id>-status / -note and i<indicator id>-value / -flag / -note.


@dataclass
class IndicatorEntry:
    line: IndicatorLine
    value: str = ""  # a number as typed
    flag: str = ""  # "yes", "no" or ""
    note: str = ""
    error: str = ""
    reaches: bool | None = None

    @property
    def indicator(self):
        return self.line.indicator

    @property
    def threshold(self):
        return self.line.threshold

    @property
    def is_numeric(self) -> bool:
        return self.line.indicator.kind == IndicatorKind.NUMERIC

    @property
    def prefix(self) -> str:
        return f"i{self.line.indicator.pk}"


@dataclass
class CriterionEntry:
    block: CriterionBlock
    indicators: list[IndicatorEntry]
    status: str = ""
    note: str = ""
    disagreement: str = ""
    error: str = ""
    # The result the indicator values give, where every indicator has a threshold that
    # applies to the commune and a value: a proposal the official may disagree with (a note).
    proposed: str = ""

    @property
    def criterion(self):
        return self.block.criterion

    @property
    def proposed_label(self) -> str:
        return str(ResultStatus(self.proposed).label) if self.proposed else ""

    @property
    def prefix(self) -> str:
        return f"c{self.block.criterion.pk}"


def _number_text(value) -> str:
    return "" if value is None else f"{value.normalize():f}".replace(".", ",")


# The entry page's notes; an indicator's note is a one-line input (maxlength on the page too).
NOTE_MAX = 4000
INDICATOR_NOTE_MAX = 1000


def _parse_number(text: str) -> Decimal | None:
    text = text.strip().replace(" ", "").replace(",", ".")
    if not text:
        return None
    if not text.isascii() or "_" in text:
        # Decimal() also reads other scripts' digits and "1_000"; nobody types those.
        raise InvalidOperation
    number = Decimal(text)  # InvalidOperation for anything else
    if not number.is_finite():
        raise InvalidOperation
    return number


def number_error(indicator, number: Decimal) -> str:
    """Why ``number`` cannot be ``indicator``'s value, or "" when it can."""
    if number < 0:
        return str(_("A value cannot be negative."))
    if indicator.unit == "%" and number > 100:
        return str(_("A percentage cannot be more than 100."))
    if number >= VALUE_LIMIT:
        return str(_("Enter a value below 10,000,000,000."))
    if number.normalize().as_tuple().exponent < -VALUE_DECIMALS:
        return str(_("Enter at most 4 decimal places."))
    return ""


def _too_long(text: str, limit: int) -> str:
    if len(text) <= limit:
        return ""
    return str(
        _("Keep the note to %(limit)s characters (it has %(length)s).")
        % {"limit": limit, "length": len(text)}
    )


@dataclass
class EntryForm:
    """The entry form of a draft, initialised from what is stored or from a POST."""

    dossier: Dossier
    data: dict | None = None
    groups: list[tuple[str, list[CriterionEntry]]] = field(default_factory=list)
    version: str = ""
    notes: str = ""
    results: dict[int, CriterionInput] = field(default_factory=dict)
    values: dict[int, IndicatorInput] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    statuses = ResultStatus.choices

    def __post_init__(self):
        assessment, data = self.dossier.assessment, self.data
        self.version = data.get("version", "") if data is not None else str(assessment.version)
        self.notes = data.get("notes", "") if data is not None else assessment.notes
        if data is not None:
            if self.expected_version() is None:
                self.errors.append(
                    str(
                        _(
                            "The form is damaged or out of date: reopen the dossier and enter "
                            "your changes again."
                        )
                    )
                )
            if error := _too_long(self.notes, NOTE_MAX):
                self.errors.append(f"{_('General notes on the dossier')}: {error}")
        for name, blocks in self.dossier.groups:
            entries = []
            for block in blocks:
                entry = CriterionEntry(block=block, indicators=[])
                if data is None:
                    entry.status = block.result.status if block.result else ""
                    entry.note = block.result.note if block.result else ""
                else:
                    entry.status = data.get(f"{entry.prefix}-status", "")
                    entry.note = data.get(f"{entry.prefix}-note", "").strip()
                    if entry.status and entry.status not in ResultStatus.values:
                        # Only a hand-made request sends another value: refused, not taken
                        # for "not yet assessed" (which would delete the stored result).
                        entry.status = ""
                        entry.error = str(_("Choose a result from the list."))
                    entry.error = entry.error or _too_long(entry.note, NOTE_MAX)
                    if entry.error:
                        self.errors.append(f"{block.criterion.number}: {entry.error}")
                self.results[block.criterion.pk] = CriterionInput(entry.status or None, entry.note)
                for line in block.indicators:
                    entry.indicators.append(self._indicator(line))
                entries.append(entry)
            self.groups.append((name, entries))
        self._flag_disagreements()

    def _indicator(self, line: IndicatorLine) -> IndicatorEntry:
        item, data = IndicatorEntry(line=line), self.data
        stored = line.value
        if data is None:
            item.value = _number_text(stored.value_number) if stored else ""
            if stored and stored.value_bool is not None:
                item.flag = "yes" if stored.value_bool else "no"
            item.note = stored.note if stored else ""
        else:
            item.value = data.get(f"{item.prefix}-value", "").strip()
            item.flag = data.get(f"{item.prefix}-flag", "")
            item.note = data.get(f"{item.prefix}-note", "").strip()
        number = flag = None
        if item.is_numeric:
            try:
                number = _parse_number(item.value)
            except InvalidOperation:
                item.error = str(_("Enter a number, e.g. 85 or 85,5."))
            else:
                item.error = number_error(line.indicator, number) if number is not None else ""
                if item.error:
                    number = None
        else:
            flag = {"yes": True, "no": False}.get(item.flag)
            if item.flag and flag is None:
                item.error = str(_("Choose yes, no or neither."))
        if data is not None:
            item.error = item.error or _too_long(item.note, INDICATOR_NOTE_MAX)
        if item.error:
            self.errors.append(f"{line.indicator.code}: {item.error}")
        item.reaches = reaches(line.indicator, line.threshold, number=number, flag=flag)
        self.values[line.indicator.pk] = IndicatorInput(number=number, flag=flag, note=item.note)
        return item

    def _flag_disagreements(self):
        met = {pk: None for pk in self.values}
        for _name, entries in self.groups:
            for entry in entries:
                for item in entry.indicators:
                    met[item.indicator.pk] = item.reaches
        found = {
            d.criterion_id: d.message
            for d in disagreements(self.dossier.assessment, self.results, met)
        }
        for _name, entries in self.groups:
            for entry in entries:
                entry.disagreement = found.get(entry.criterion.pk, "")
                items = entry.indicators
                if items and all(
                    decidable(i.indicator, i.threshold) and i.reaches is not None for i in items
                ):
                    met_all = all(i.reaches for i in items)
                    entry.proposed = ResultStatus.MET if met_all else ResultStatus.NOT_MET

    def expected_version(self) -> int | None:
        if not (isinstance(self.version, str) and self.version.isascii()):
            return None
        try:
            return int(self.version)
        except ValueError:
            return None
