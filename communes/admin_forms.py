"""What every add and change form of the portal's admin refuses, and how it answers."""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .text import nfc, visible_text

# Years a plan, a threshold or a statistic can be about: 99999 or 0 is a typing slip.
YEARS = (1900, 2100)


class CleanTextModelForm(forms.ModelForm):
    """The base form of the portal's admin forms and inlines. Text is stored with precomposed
    letters (NFC), so "Lâm Hợp" typed with combining marks is the same name as everywhere else;
    text of zero-width characters or direction marks alone counts as empty (a required field
    says so, an optional one is stored blank, which the models' constraints then judge).
    Whole numbers are held to the column's range on every database (SQLite sets none, so
    32768 in a small integer was stored there and refused by PostgreSQL), years to YEARS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ranges = BaseDatabaseOperations.integer_field_ranges
        for name, field in self.fields.items():
            if not isinstance(field, forms.IntegerField) or isinstance(field, forms.DecimalField):
                continue
            try:
                column = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            low, high = (
                YEARS if "year" in name else ranges.get(column.get_internal_type(), (None, None))
            )
            if low is not None and (field.min_value is None or field.min_value < low):
                field.min_value = low
                field.validators.append(MinValueValidator(low))
            if high is not None and (field.max_value is None or field.max_value > high):
                field.max_value = high
                field.validators.append(MaxValueValidator(high))

    def clean(self):
        data = super().clean()
        text_fields = {
            f.name
            for f in self._meta.model._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField)
        }
        for name, value in list(data.items()):
            if name not in text_fields or not isinstance(value, str):
                continue
            if value and not visible_text(value):
                if self.fields[name].required:
                    self.add_error(
                        name,
                        _(
                            "Write it in visible characters: spaces, zero-width characters and "
                            "direction marks alone are not enough."
                        ),
                    )
                    continue
                value = ""
            data[name] = nfc(value)
        return data

    def full_clean(self):
        super().full_clean()
        # A refused id ("abc", 2**63) is not shown again: the autocomplete widget looks the
        # selected ids up with pk__in, where such a value is a ValueError (or an OverflowError
        # on SQLite): a 500 in place of the form's "Select a valid choice".
        refused = [
            name
            for name in self.errors
            if isinstance(self.fields.get(name), forms.ModelChoiceField)
        ]
        if refused and self.is_bound:
            self.data = self.data.copy()
            for name in refused:
                self.data[self.add_prefix(name)] = ""


class RefusedFormIs400Mixin:
    """A ModelAdmin whose add or change form, shown again with errors, answers 400 like every
    other form of the portal (the Django admin answers 200). ``_refused`` serves other form
    views too (the user admin's password form)."""

    @staticmethod
    def _refused(request, response):
        context = getattr(response, "context_data", None) or {}
        form = context.get("adminform") or context.get("form")
        form = getattr(form, "form", form)
        if request.method == "POST" and (context.get("errors") or getattr(form, "errors", None)):
            response.status_code = 400
        return response

    def changeform_view(self, request, *args, **kwargs):
        return self._refused(request, super().changeform_view(request, *args, **kwargs))


class MissingObjectIs404Mixin:
    """A ModelAdmin whose object pages (change, delete, history) answer 404 for an object that
    its ``get_queryset`` does not return, like every page of the portal outside the user's
    subtree. Django's admin redirects to its index with "does not exist" instead: a 302 that
    said nothing different for a real object in another province, but was not the promised
    404."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404


class PortalAdminMixin(MissingObjectIs404Mixin, RefusedFormIs400Mixin):
    """What every ModelAdmin of the portal adds to Django's: the CleanTextModelForm, a search
    that finds "Lâm Hợp" however its accents were typed, and a 400 for an add, change or
    history-revert form shown again with errors."""

    form = CleanTextModelForm

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, nfc(search_term))

    def render_history_view(self, request, template, context, **kwargs):
        # simple_history's revert form, rendered without a TemplateResponse.
        response = super().render_history_view(request, template, context, **kwargs)
        if request.method == "POST" and context.get("errors"):
            response.status_code = 400
        return response


UNIT_CODE = RegexValidator(r"^[0-9]+\Z", _("A GSO code is made of digits only."))


class UnitForm(CleanTextModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "code" in self.fields:
            self.fields["code"].validators.append(UNIT_CODE)
