"""The district and province dashboards: where every commune of an area stands against one
criteria set, as of a date, and the national ranking of provinces.

Like reports.selectors, everything here is public (recognitions and public assessments only)
and built from a fixed number of queries whatever the number of communes and assessments:
``district_dashboard`` runs eight, ``province_dashboard`` ten, ``national_ranking`` one, and
tests/reports/test_dashboard_queries.py pins that.

The as-of date chooses the map of units (reports.access resolves a code on that date): before
01/07/2025 the old provinces, their districts and communes; from 01/07/2025 the 34 provinces and
their communes, with no district tier. A province formed on 01/07/2025 shows its trend through
the merger: its communes' years before they existed are their predecessors' figures, mapped
forward through the lineage (CommuneSuccession) by the rule of ``trend``.
The figures are then derived in Python by pure functions over those rows.
"""

import datetime
import functools
import html
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from communes.enums import AssessmentStatus, CommuneKind, ResultStatus
from communes.models import MERGER_DATE, Commune, CommuneSuccession, District, Province
from criteria.enums import SetLevel, Title
from criteria.models import (
    Assessment,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Recognition,
    SubqueryCount,
    Target,
    in_force_windows,
)

from . import charts
from .selectors import NTM_COMMUNE_TITLES, VILLAGE_TITLES


def escape(text) -> str:
    """django.utils.html.escape, the same characters, without its lazy-text wrapper: the
    pages' ready HTML below calls it thousands of times (a province's names and labels), and
    every result goes into a string marked safe as a whole."""
    return html.escape(str(text))


class UnknownCriteriaSet(ValueError):
    """The ``set`` filter names no commune-level criteria set."""


# Matrix cells: the ResultStatus value, or NOT_ASSESSED when the latest assessment has no
# result for the criterion (or the commune has no assessment against the set).
NOT_ASSESSED = "none"
# The page's matrix: a symbol and a class per cell, so colour is never the only signal, and the
# result in words for screen readers.
CELL_SYMBOLS = {
    ResultStatus.MET: "✓",
    ResultStatus.BASICALLY_MET: "◐",
    ResultStatus.NOT_MET: "✗",
    NOT_ASSESSED: "–",
}
CELL_LABELS = {
    ResultStatus.MET: ResultStatus.MET.label,
    ResultStatus.BASICALLY_MET: ResultStatus.BASICALLY_MET.label,
    ResultStatus.NOT_MET: ResultStatus.NOT_MET.label,
    NOT_ASSESSED: _("Not assessed"),
}
EXPORT_MARKS = {
    ResultStatus.MET: "Đ",
    ResultStatus.BASICALLY_MET: "CBĐ",
    ResultStatus.NOT_MET: "CĐ",
    NOT_ASSESSED: "",
}


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


class TargetState:
    """Where a commune stands against its target: facts only, no projection."""

    REACHED = "reached"
    MISSING = "missing"
    OVERDUE = "overdue"
    NOT_ASSESSED = "not_assessed"


ASSESSMENT_STATUS_LABELS = dict(AssessmentStatus.choices)


@dataclass(slots=True)
class LatestAssessment:
    """A commune's latest public assessment against one set, with what the dashboards show
    of it: read with values_list(), not as an Assessment (~900 model instances on a
    province were a fifth of building its dashboard)."""

    pk: int
    commune_id: int
    criteria_set_id: int
    assessed_on: datetime.date
    status: str
    # Criteria met, and the set's criteria (``criteria_set.criteria_count``).
    criteria_met: int
    criteria_set: CriteriaSet
    criteria_total: int

    def get_status_display(self) -> str:
        # As Model.get_FOO_display.
        return str(ASSESSMENT_STATUS_LABELS.get(self.status, self.status))


TITLE_LABELS = dict(Title.choices)


# The rows below are read with values_list(), not as model instances: the ~1,200 communes,
# targets and recognitions of a province as instances were a seventh of building its
# dashboard. Each carries what the dashboards and the export read.


@dataclass(slots=True)
class CommuneRef:
    """A commune of the area."""

    pk: int
    code: str
    name: str
    kind: str
    district_id: int | None
    valid_to: datetime.date | None

    FIELDS = ("pk", "code", "name", "kind", "district_id", "valid_to")


@dataclass(slots=True)
class RecognitionRef:
    """An active recognition of a commune."""

    pk: int
    commune_id: int
    title: str
    decided_on: datetime.date

    FIELDS = ("pk", "commune_id", "title", "decided_on")

    def get_title_display(self) -> str:
        # As Model.get_FOO_display.
        return str(TITLE_LABELS.get(self.title, self.title))


@dataclass(slots=True)
class TargetRef:
    """A commune's target: a title (or a set) by a year."""

    pk: int
    commune_id: int
    criteria_set_id: int | None
    title: str
    planned_year: int

    FIELDS = ("pk", "commune_id", "criteria_set_id", "title", "planned_year")


@dataclass
class CommuneProgress:
    commune: CommuneRef
    # The latest public assessment against the chosen set on or before the as-of date; None
    # when there is none.
    assessment: LatestAssessment | None
    # One status per criterion of the set, aligned with Dashboard.criteria.
    cells: list[str]
    # The set's criteria (shared by every row) and the dashboard's as-of date.
    criteria: list[Criterion] = field(repr=False)
    # "N. Name" of each criterion, escaped, aligned with ``criteria`` (criterion_labels;
    # shared by every row).
    labels: list[str] = field(repr=False)
    as_of: datetime.date
    recognitions: list[RecognitionRef] = field(default_factory=list)
    # The commune's target for the chosen set (or its title), if any.
    target: TargetRef | None = None
    # The latest public assessment against every set the commune is tracked on (with
    # progress and its set), the chosen set first, then the newest sets.
    all_sets: list[LatestAssessment] = field(default_factory=list)

    @property
    def results(self) -> list[tuple[Criterion, str]]:
        return list(zip(self.criteria, self.cells, strict=True))

    # Cached: the cells never change once the row is built, and the page asks for these
    # several times per row (standing, closest, regressions, matrix).
    @cached_property
    def missing(self) -> list[Criterion]:
        """Criteria of the set not (fully) met in the latest assessment. A placeholder
        criterion (no source text yet) is never counted as met."""
        return [
            c
            for c, s in zip(self.criteria, self.cells, strict=True)
            if s != ResultStatus.MET or c.is_placeholder
        ]

    @cached_property
    def missing_text(self) -> SafeString:
        """The missing criteria as the page lists them: "2. Name; 5. Name"."""
        missing = (
            label
            for label, c, s in zip(self.labels, self.criteria, self.cells, strict=True)
            if s != ResultStatus.MET or c.is_placeholder
        )
        return mark_safe("; ".join(missing))  # noqa: S308 - escaped in criterion_labels

    @cached_property
    def recognition_titles(self) -> frozenset[str]:
        return frozenset(r.title for r in self.recognitions)

    @cached_property
    def met_count(self) -> int:
        return len(self.criteria) - len(self.missing)

    @property
    def is_reached(self) -> bool:
        return self.assessment is not None and not self.missing

    @property
    def target_state(self) -> str:
        if self.assessment is None:
            return TargetState.NOT_ASSESSED
        if self.is_reached:
            return TargetState.REACHED
        if self.target and self.target.planned_year < self.as_of.year:
            return TargetState.OVERDUE
        return TargetState.MISSING


@dataclass
class CriterionShare:
    criterion: Criterion
    met: int
    assessed: int

    @property
    def percent(self) -> int:
        return round(100 * self.met / self.assessed) if self.assessed else 0


@dataclass
class Regression:
    row: CommuneProgress
    recognition: RecognitionRef


@dataclass
class Headline:
    # Denominator of the NTM titles: only communes (xã) can hold them.
    rural_communes: int
    communes: int
    ntm: int
    ntmnc: int
    model: int
    unrecognised: int
    villages_ntm: int
    villages_model: int


@dataclass
class TrendPoint:
    """Where the area stood at the end of ``year`` (or on the as-of date, for its year): each
    commune counted with its latest public assessment dated by then."""

    year: int
    # Criteria met by each assessed commune.
    met: list[int]
    n_criteria: int
    # Of those, communes formed on 01/07/2025 whose figure is their predecessors' (mapped
    # forward by the rule of ``trend``), not an assessment of their own.
    mapped: int = 0

    @property
    def assessed(self) -> int:
        return len(self.met)

    @property
    def average(self) -> float:
        return sum(self.met) / len(self.met) if self.met else 0.0

    @property
    def fewest(self) -> int:
        return min(self.met, default=0)

    @property
    def most(self) -> int:
        return max(self.met, default=0)

    @property
    def all_met(self) -> int:
        return sum(1 for m in self.met if m == self.n_criteria)


@dataclass
class DistrictSummary:
    """One district of a province dashboard: its communes' recognitions and how far they are
    against the dashboard's set."""

    district: District
    headline: Headline
    # Assessed communes and their criteria met, against the dashboard's set.
    assessed: int
    met_total: int

    @property
    def average_met(self) -> float | None:
        return self.met_total / self.assessed if self.assessed else None


@dataclass
class Dashboard:
    # The area: a District or a Province.
    unit: District | Province
    criteria_set: CriteriaSet | None
    # Commune-level sets with ``commune_count``: communes of the area with a public
    # assessment against the set on or before the as-of date (the filter's choices).
    sets: list[CriteriaSet]
    as_of: datetime.date
    kind: str
    criteria: list[Criterion]
    rows: list[CommuneProgress]
    headline: Headline
    # Province dashboards only: one summary per district, in code order.
    districts: list[DistrictSummary] = field(default_factory=list)
    # Criteria met over time, one point per year up to the as-of date.
    trend: list[TrendPoint] = field(default_factory=list)

    @cached_property
    def mapped_years(self) -> list[int]:
        """The trend's years that use predecessors' figures (a province formed in 2025)."""
        return [point.year for point in self.trend if point.mapped]

    @property
    def is_province(self) -> bool:
        return isinstance(self.unit, Province)

    @property
    def district(self) -> District | None:
        return None if self.is_province else self.unit

    @property
    def province(self) -> Province:
        return self.unit if self.is_province else self.unit.province

    @cached_property
    def direct_rows(self) -> list[CommuneProgress]:
        """Communes that belong to the province directly (no district, since 2025)."""
        return [r for r in self.rows if r.commune.district_id is None]

    @cached_property
    def matrix_rows(self) -> list[CommuneProgress]:
        """The page's matrix: every commune of a district; the assessed communes of a
        province (the export has them all)."""
        return self.assessed_rows if self.is_province else self.rows

    @cached_property
    def table_sets(self) -> list[CriteriaSet]:
        """Every set some commune of the area is tracked on, the chosen set first."""
        found = {a.criteria_set_id: a.criteria_set for r in self.rows for a in r.all_sets}
        chosen = (
            [found.pop(self.criteria_set.pk)]
            if self.criteria_set and self.criteria_set.pk in found
            else []
        )
        return chosen + sorted(found.values(), key=lambda s: s.code)

    @cached_property
    def matrix_html(self) -> SafeString:
        """The matrix's body rows (``matrix_rows``) as ready HTML, exactly as a template loop
        would write them: per commune its name, a ``<td>`` per criterion with a symbol and a
        class, so colour is never the only signal, and the criterion and result in words for
        screen readers, then the criteria met. Built here, each distinct cell once, because
        the template tags, includes and lookups per cell (~1,000 cells on a large district,
        ~11,000 on a province) were most of the page's rendering time. Call it while the
        request's language is active: the labels are translated here."""
        labels = {status: str(label) for status, label in CELL_LABELS.items()}
        columns = [
            {
                status: format_html(
                    '<td class="cell cell--{}" title="{}. {}: {}"><span aria-hidden="true">{}'
                    '</span><span class="visually-hidden">{}</span></td>\n',
                    status,
                    criterion.number,
                    criterion.name,
                    label,
                    CELL_SYMBOLS[status],
                    label,
                )
                for status, label in labels.items()
            }
            for criterion in self.criteria
        ]
        n_criteria = len(self.criteria)
        parts = []
        for row in self.matrix_rows:
            met = f"{row.met_count}/{n_criteria}" if row.assessment else "–"
            parts.append(
                '\n        <tr>\n          <th scope="row" class="unit-name">'
                f"{escape(row.commune.name)}</th>\n          "
                # map(): a generator here was a tenth of the matrix's time (~17,000 cells).
                + "".join(map(dict.__getitem__, columns, row.cells))
                + f'\n          <td class="num">{met}</td>\n        </tr>\n      '
            )
        return mark_safe("".join(parts))  # noqa: S308 - escaped above, cells by format_html

    @cached_property
    def table_html(self) -> SafeString:
        """The progress table's body rows for every commune of the area (district page)."""
        return progress_rows_html(self.rows, self.criteria_set)

    @cached_property
    def direct_table_html(self) -> SafeString:
        """The progress table's body rows for the communes without a district (province)."""
        return progress_rows_html(self.direct_rows, self.criteria_set)

    @cached_property
    def closest_html(self) -> SafeString:
        """The items of the "closest to recognition" list (``closest``, ~450 on a province),
        exactly as the template loop wrote them: the commune's link, its missing criteria
        counted (a plural) and listed. Built here for the same reason as ``matrix_html``.
        Call it while the request's language is active."""
        commune_url, parts = _CommuneUrls(), []
        missing_count = functools.cache(_missing_count)  # a few values of n for ~450 items
        for row in self.closest:
            count = missing_count(len(row.missing))
            parts.append(
                '\n    <li class="closest__item">\n      <a href="'
                f'{commune_url(row.commune.code)}">{escape(row.commune.name)}</a>\n      '
                f'<span class="closest__count">{count}</span>\n      '
                f'<span class="closest__criteria">{row.missing_text}</span>\n    </li>\n  '
            )
        return mark_safe("".join(parts))  # noqa: S308 - names escaped, texts from catalogues

    @cached_property
    def districts_html(self) -> SafeString:
        """The district summary's body rows (includes/_dashboard_districts.html) as ready
        HTML, exactly as the template loop and its _share include per row wrote them. Call
        it while the request's language is active."""
        from django.template.defaultfilters import floatformat

        from .templatetags.dashboard import dashboard_query
        from .templatetags.overview import number

        query = escape(
            dashboard_query(
                set=self.criteria_set.code if self.criteria_set else "",
                as_of=_ymd(self.as_of),
                kind=self.kind,
            )
        )
        no_public = escape(gettext("no public assessment"))
        xa = pgettext("unit kind, after a count", "xã")
        n_criteria = len(self.criteria)
        parts = []
        for summary in self.districts:
            headline = summary.headline
            if summary.assessed:
                average = ngettext(
                    "%(average)s/%(total)s (%(counter)s commune assessed)",
                    "%(average)s/%(total)s (%(counter)s communes assessed)",
                    summary.assessed,
                ) % {
                    "average": floatformat(summary.average_met, 1),
                    "total": n_criteria,
                    "counter": summary.assessed,
                }
            else:
                average = f'<span class="muted">{no_public}</span>'
            url = escape(reverse("reports:district_dashboard", args=[summary.district.code]))
            parts.append(
                '\n        <tr>\n          <th scope="row" class="unit-name"><a href="'
                f'{url}?{query}">{escape(summary.district.name)}</a></th>\n'
                f'          <td class="num">{escape(number(headline.communes))}</td>\n'
                f"          <td>{share_html(headline.ntm, headline.rural_communes, xa)}</td>\n"
                f'          <td class="num">{escape(number(headline.ntmnc))}</td>\n'
                f'          <td class="num">{escape(number(headline.model))}</td>\n'
                f'          <td class="nowrap">{average}</td>\n        </tr>\n      '
            )
        return mark_safe("".join(parts))  # noqa: S308 - escaped above, texts from catalogues

    @cached_property
    def hardest_html(self) -> SafeString:
        """The hardest criteria table's body rows (reports/_dashboard_hardest.html), as the
        template loop and its _share include per criterion wrote them."""
        # The share is of the communes assessed against the set, not of all communes.
        assessed = pgettext("after a count", "assessed against this set")
        return mark_safe(  # noqa: S308 - names escaped, texts from catalogues
            "".join(
                f'\n        <tr>\n          <td class="num">{share.criterion.number}</td>\n'
                f'          <th scope="row">{escape(share.criterion.name)}</th>\n'
                f"          <td>{share_html(share.met, share.assessed, assessed)}</td>\n"
                "        </tr>\n      "
                for share in self.hardest
            )
        )

    @cached_property
    def regressions_html(self) -> SafeString:
        """The regressions list's items (reports/_dashboard_regressions.html), as the template
        loop wrote them. Call it while the request's language is active."""
        from .templatetags.overview import title_short

        commune_url, parts = _CommuneUrls(), []
        for regression in self.regressions:
            row, recognition = regression.row, regression.recognition
            text = gettext(
                "%(title)s since %(decided)s, but the assessment of %(assessed)s does not meet:"
            ) % {
                "title": escape(title_short(recognition.title)),
                "decided": _dmy(recognition.decided_on),
                "assessed": _dmy(row.assessment.assessed_on),
            }
            parts.append(
                '\n    <li class="regression">\n      <span aria-hidden="true">!</span>\n'
                f'      <a href="{commune_url(row.commune.code)}">{escape(row.commune.name)}</a>:'
                f'\n      {text}\n      <span class="regression__criteria">{row.missing_text}'
                "</span>\n    </li>\n  "
            )
        return mark_safe("".join(parts))  # noqa: S308 - escaped above, texts from catalogues

    @property
    def kind_label(self) -> str:
        return CommuneKind(self.kind).label if self.kind else ""

    @cached_property
    def assessed_rows(self) -> list[CommuneProgress]:
        return [r for r in self.rows if r.assessment is not None]

    @cached_property
    def hardest(self) -> list[CriterionShare]:
        return hardest_criteria(self.criteria, self.assessed_rows)

    @cached_property
    def closest(self) -> list[CommuneProgress]:
        return closest_to_recognition(self.assessed_rows)

    @cached_property
    def regressions(self) -> list[Regression]:
        return regressions(self.rows, self.criteria_set)

    @cached_property
    def distribution(self) -> list[tuple[int, int]]:
        return met_distribution(len(self.criteria), self.assessed_rows)

    @property
    def hardest_chart(self) -> charts.Chart:
        return charts.hardest_chart(self.hardest)

    @property
    def distribution_chart(self) -> charts.Chart:
        return charts.distribution_chart(self.distribution)

    @property
    def trend_chart(self) -> charts.ColumnChart:
        return charts.trend_chart(self.trend, len(self.criteria))


# ---------------------------------------------------------------------------------------------
# The progress table, as ready HTML
# ---------------------------------------------------------------------------------------------


class _CommuneUrls:
    """reports:commune for many communes: reversed once, the code put in its place (one
    reverse per commune was a tenth of the table's time). A code needing quoting (never
    seen: codes are digits) is reversed as usual."""

    SENTINEL = "0000000000"

    def __init__(self):
        url = escape(reverse("reports:commune", args=[self.SENTINEL]))
        self.prefix, self.suffix = url.split(self.SENTINEL)

    def __call__(self, code: str) -> str:
        if code.isalnum() and code.isascii():
            return f"{self.prefix}{code}{self.suffix}"
        return escape(reverse("reports:commune", args=[code]))


def _dmy(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _ymd(day: datetime.date) -> str:
    return f"{day.year}-{day.month:02d}-{day.day:02d}"


def share_html(part: int, whole: int, of_what: str = "") -> str:
    """includes/_share.html, as rendered there: "12 of 30 xã (40%)" with a bar; ``of_what``
    names what the whole counts (escaped here)."""
    from .templatetags.overview import number, percent

    share = percent(part, whole)
    values = {"part": escape(number(part)), "whole": escape(number(whole)), "share": share}
    if of_what:
        label = gettext("%(part)s of %(whole)s %(of_what)s (%(share)s%%)") % {
            **values,
            "of_what": escape(of_what),
        }
    else:
        label = gettext("%(part)s of %(whole)s (%(share)s%%)") % values
    return (
        f'\n\n\n\n<span class="progress">\n  <meter min="0" max="{whole or 1}" value="{part}" '
        f'aria-label="{label}">{share}%</meter>\n  <span class="progress__text" '
        f'aria-hidden="true">{label}</span>\n</span>\n\n'
    )


def _progress_html(met: int, total: int) -> str:
    """includes/_progress.html with kind="criteria", as rendered there."""
    # blocktranslate: the message as translated, its values escaped (numbers need none).
    label = gettext("%(met)s/%(total)s criteria") % {"met": met, "total": total}
    complete = " progress--complete" if total and met == total else ""
    return (
        f'\n\n\n<span class="progress{complete}">\n  <meter min="0" max="{total or 1}" '
        f'value="{met}" aria-label="{label}">{met}/{total}</meter>\n  '
        f'<span class="progress__text" aria-hidden="true">{label}</span>\n</span>\n'
    )


def _missing_count(n: int) -> str:
    return ngettext("%(counter)s criterion missing", "%(counter)s criteria missing", n) % {
        "counter": n
    }


def _standing_html(state: str, n: int) -> str:
    """includes/_target_state.html, as rendered there, for a row whose target state is
    ``state`` with ``n`` criteria missing."""
    if state == TargetState.REACHED:
        text = f'<span aria-hidden="true">✓</span> {escape(gettext("All criteria met"))}'
    elif state == TargetState.NOT_ASSESSED:
        text = f'<span class="muted">{escape(gettext("Not assessed"))}</span>'
    else:
        text = _missing_count(n)
        if state == TargetState.OVERDUE:
            text = (
                f'<span aria-hidden="true">!</span> <strong>{escape(gettext("Overdue"))}'
                f"</strong>: {text}"
            )
    return f'\n\n\n<span class="standing standing--{state}">\n  {text}\n  \n</span>\n\n'


def progress_rows_html(rows: list[CommuneProgress], criteria_set: CriteriaSet | None) -> SafeString:
    """The progress table's body rows (reports/_dashboard_table.html) as ready HTML, exactly
    as the template loop and its includes per row (_unit_meta, _dashboard_set_progress,
    _progress per set, _target_state: ~180 includes on a large district) wrote them, which
    were most of the district page's rendering time. Call it while the request's language
    is active: the texts are translated here."""
    from .templatetags.overview import title_short

    chosen_id = criteria_set.pk if criteria_set else None
    code_word = escape(gettext("Code"))
    no_public = escape(gettext("no public assessment"))
    commune_url = _CommuneUrls()
    # get_kind_display per row, translated each time, was another tenth.
    kinds = {value: escape(label) for value, label in CommuneKind.choices}
    dash = '<span class="muted">—</span>'
    # The same few texts recur on every row: each translated and written once per table.
    progress, standing = functools.cache(_progress_html), functools.cache(_standing_html)
    parts = []
    for row in rows:
        commune = row.commune
        kind = kinds[commune.kind] if commune.kind in kinds else escape(commune.kind)
        meta = f"{kind} · {code_word} {escape(commune.code)}"
        if commune.valid_to:
            meta += " · " + gettext("until %(date)s") % {"date": _dmy(commune.valid_to)}
        parts.append(
            '\n        <tr>\n          <th scope="row" class="unit-name"><a href="'
            f'{commune_url(commune.code)}">{escape(commune.name)}</a>'
            f'<span class="unit-kind">{meta}</span>\n</th>\n          '
        )
        if row.all_sets:
            sets = []
            for assessment in row.all_sets:
                chosen = assessment.criteria_set_id == chosen_id
                name = escape(assessment.criteria_set.display_name)
                if not chosen:
                    name += f" · {_dmy(assessment.assessed_on)}"
                sets.append(
                    '\n    <div class="progress-sets__item'
                    + (" progress-sets__item--chosen" if chosen else "")
                    + f'">\n      <span class="progress-sets__name">{name}</span>\n      '
                    + progress(assessment.criteria_met, assessment.criteria_total)
                    + "\n    </div>\n  "
                )
            if row.assessment:
                latest = (
                    f'{_dmy(row.assessment.assessed_on)}<br><span class="muted">'
                    f"{escape(row.assessment.get_status_display())}</span>"
                )
            else:
                latest = dash
            parts.append(
                '\n            <td>\n\n<div class="progress-sets">\n  '
                + "".join(sets)
                + f'\n</div>\n</td>\n            <td class="nowrap">{latest}</td>\n          '
            )
        else:
            parts.append(
                f'\n            <td colspan="2"><span class="muted">{no_public}</span></td>'
                "\n          "
            )
        recognitions = "".join(
            '\n              <div class="recognition-line"><span class="badge badge--'
            f'{escape(r.title)}">{escape(title_short(r.title))} {r.decided_on.year}</span>'
            "</div>\n            "
            for r in row.recognitions
        )
        if row.target:
            target = gettext("%(title)s by %(year)s") % {
                "title": escape(title_short(row.target.title)),
                "year": row.target.planned_year,
            }
        else:
            target = dash
        parts.append(
            "\n          <td>\n            "
            + (recognitions or dash + "\n            ")
            + f"\n          </td>\n          <td>{target}</td>\n          <td>"
            + standing(row.target_state, len(row.missing))
            + "</td>\n        </tr>\n      "
        )
    return mark_safe("".join(parts))  # noqa: S308 - escaped above, texts from catalogues


# ---------------------------------------------------------------------------------------------
# Pure functions over the rows
# ---------------------------------------------------------------------------------------------


def criterion_labels(criteria) -> list[str]:
    """Each criterion as the pages list missing ones: "N. Name", escaped."""
    return [f"{c.number}. {escape(c.name)}" for c in criteria]


def hardest_criteria(criteria, rows) -> list[CriterionShare]:
    """Each criterion with the number of assessed communes meeting it, the least met first
    (ties in the set's order)."""
    # One column of cells per criterion, counted in C (a generator per criterion over
    # every row was ~80,000 steps on a province).
    columns = list(zip(*(r.cells for r in rows), strict=True)) if rows else [() for _ in criteria]
    shares = [
        CriterionShare(criterion=criterion, met=column.count(ResultStatus.MET), assessed=len(rows))
        for criterion, column in zip(criteria, columns, strict=True)
    ]
    return sorted(shares, key=lambda s: (s.met, s.criterion.number))


def closest_to_recognition(rows) -> list[CommuneProgress]:
    """Assessed communes that have not met every criterion, fewest missing criteria first."""
    pending = [r for r in rows if not r.is_reached]
    return sorted(pending, key=lambda r: (len(r.missing), r.commune.code))


def regressions(rows, criteria_set) -> list[Regression]:
    """Communes holding an active recognition of the set's title whose latest assessment
    against the set, made on or after the decision, no longer meets every criterion. An
    assessment older than the decision is superseded by it, so it is not a regression."""
    if criteria_set is None:
        return []
    found = []
    for row in rows:
        if row.assessment is None or row.is_reached:
            continue
        for recognition in row.recognitions:
            if (
                recognition.title == criteria_set.title
                and row.assessment.assessed_on >= recognition.decided_on
            ):
                found.append(Regression(row=row, recognition=recognition))
                break
    return found


def trend(
    history,
    n_criteria: int,
    as_of: datetime.date,
    criteria_set: CriteriaSet | None = None,
    *,
    lineage: dict[int, list[int]] | None = None,
    inherited=(),
) -> list[TrendPoint]:
    """One TrendPoint per year from the first assessment's year to ``as_of``'s, within the
    years ``criteria_set`` was in force: a set that ended in 2020 has no point for 2021 on,
    where it would only repeat its last figures. ``history`` is (commune id, date, pk,
    criteria met) for every public assessment of the area against the set on or before
    ``as_of``.

    Through the 2025 merger: ``lineage`` maps each commune of the area formed on 01/07/2025 to
    its predecessors, and ``inherited`` is the predecessors' history (same tuples, with the
    predecessor's id). In a year when such a commune has no assessment of its own yet, it
    counts with its predecessors' figures, and only when **every** predecessor was assessed
    against the set by then: its criteria met are the fewest any predecessor met, so it meets
    all the criteria only when every predecessor did. This is the title rule of the merger (a
    merged commune is NTM only when every predecessor was recognised) applied to criteria;
    a commune with one unassessed predecessor is not counted in that year."""
    if not history and not inherited:
        return []
    ordered = sorted(history, key=lambda h: (h[1], h[2]))
    before = sorted(inherited, key=lambda h: (h[1], h[2]))
    dates = [h[1] for h in ordered[:1] + before[:1]]
    first, last = min(dates).year, as_of.year
    last_assessed = max(h[1] for h in ordered[-1:] + before[-1:])
    if criteria_set is not None and criteria_set.valid_to is not None:
        # Not before the last assessment, though: one dated after the period still shows.
        last = min(last, max(criteria_set.valid_to.year, last_assessed.year))
    if criteria_set is not None and criteria_set.valid_from is not None:
        first = max(first, min(criteria_set.valid_from.year, last))
    lineage = lineage or {}
    points, latest, latest_before, i, j = [], {}, {}, 0, 0
    for year in range(first, last + 1):
        while i < len(ordered) and ordered[i][1].year <= year:
            latest[ordered[i][0]] = ordered[i][3]
            i += 1
        while j < len(before) and before[j][1].year <= year:
            latest_before[before[j][0]] = before[j][3]
            j += 1
        met, mapped = list(latest.values()), 0
        for successor, predecessors in lineage.items():
            if successor in latest or not predecessors:
                continue
            if all(p in latest_before for p in predecessors):
                met.append(min(latest_before[p] for p in predecessors))
                mapped += 1
        points.append(TrendPoint(year=year, met=met, n_criteria=n_criteria, mapped=mapped))
    return points


def met_distribution(n_criteria, rows) -> list[tuple[int, int]]:
    """(criteria met, number of communes) for 0..n_criteria."""
    counts = defaultdict(int)
    for row in rows:
        counts[row.met_count] += 1
    return [(n, counts[n]) for n in range(n_criteria + 1)]


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


def area_assessments(
    communes: QuerySet[Commune], as_of: datetime.date, predecessors: QuerySet | None = None
) -> list[tuple]:
    """Every public assessment of ``communes`` on or before ``as_of`` against a commune-level
    set, as (pk, commune id, set id, date, status, criteria met). One query.

    The dashboards take the sets' commune counts (the filter's choices), each commune's
    latest assessment against each set and the trend from these rows. Three queries did that
    before: a count per set that read the set's assessments across the whole country, a
    window for the latest ones and the history, about a third of a province dashboard's SQL
    time.

    ``predecessors`` (ids of communes): their assessments come in the same query, for the
    trend of an area formed on 01/07/2025 (the caller tells them apart by commune id)."""
    # order_by(): see AssessmentQuerySet.with_progress (no default-ordering joins in a count).
    # A placeholder criterion (no source text yet) is never counted as met.
    met = CriterionResult.objects.filter(
        assessment=OuterRef("pk"), status=ResultStatus.MET, criterion__is_placeholder=False
    ).order_by()
    return list(
        Assessment.objects.public()
        .as_of(as_of)
        .filter(
            Q(commune__in=communes) | Q(commune__in=predecessors)
            if predecessors is not None
            else Q(commune__in=communes),
            criteria_set__level=SetLevel.COMMUNE,
        )
        .annotate(criteria_met=SubqueryCount(met.values("pk")))
        .order_by()
        .values_list("pk", "commune_id", "criteria_set_id", "assessed_on", "status", "criteria_met")
    )


def area_sets(area_assessments, lineage_of=None) -> list[CriteriaSet]:
    """Every commune-level set, with ``commune_count``: communes with an assessment among
    ``area_assessments`` ((pk, commune id, set id, ...) rows) against it, and
    ``criteria_count``; the most assessed first, then the newest. One query.

    ``lineage_of`` maps a predecessor's id to its successors in the area: a predecessor's
    assessment counts for them (a new province's 2021–2025 set stays on its filter)."""
    assessed = defaultdict(set)
    lineage_of = lineage_of or {}
    for values in area_assessments:
        assessed[values[2]].update(lineage_of.get(values[1], (values[1],)))
    criteria = Criterion.objects.filter(criteria_set=OuterRef("pk")).order_by().values("pk")
    sets = list(
        CriteriaSet.objects.filter(level=SetLevel.COMMUNE)
        .annotate(criteria_count=SubqueryCount(criteria))
        .order_by("-valid_from", "code")
    )
    for i, criteria_set in enumerate(sets):
        criteria_set.commune_count = len(assessed.get(criteria_set.pk, ()))
        criteria_set.period_order = i  # newest period first, then code
    # Stable: sets assessed as often keep the database's newest-first order.
    return sorted(sets, key=lambda s: -s.commune_count)


def resolve_set(
    sets: list[CriteriaSet],
    code: str,
    *,
    as_of: datetime.date | None = None,
    province_id: int | None = None,
) -> CriteriaSet | None:
    """The set named ``code``. With no code, a set in force on ``as_of`` for the area (from
    its legal effective date until the next set of its kind takes effect, as the assessment
    start form offers it; national, or the area's province's own): the province's own
    first, then the one most communes are assessed on, then a base set (not one that requires
    another, like NTM nâng cao), then the newest. Only when no set is in force on the date,
    the set most communes are assessed on (None when no commune is assessed on any).

    Why: the most assessed set is often an expired one (Hà Tĩnh's 2017–2020 set on a 2026
    dashboard), which showed old results as if they were current."""
    if code:
        for criteria_set in sets:
            if criteria_set.code == code:
                return criteria_set
        raise UnknownCriteriaSet(code)
    if as_of is not None:
        # In force as the start form offers it: from the legal effective date until the next
        # set of its kind takes effect, never a replaced version (CriteriaSet.in_force).
        windows = in_force_windows(sets)
        in_force = [
            s
            for s in sets
            if windows[s.pk].contains(as_of) and s.province_id in (None, province_id)
        ]
        if in_force:
            return min(
                in_force,
                key=lambda s: (
                    s.province_id is None,
                    -s.commune_count,
                    s.prerequisite_id is not None,
                    s.period_order,
                ),
            )
    if sets and sets[0].commune_count:
        return sets[0]
    return None


def district_communes(district: District, kind: str = "") -> QuerySet[Commune]:
    communes = Commune.objects.filter(district=district)
    return communes.filter(kind=kind) if kind else communes


def district_dashboard(
    district: District, *, set_code: str = "", as_of: datetime.date, kind: str = ""
) -> Dashboard:
    """The dashboard of ``district``'s communes (of ``kind``, if given) against the set named
    ``set_code`` (default: the set most of them are assessed on), using only assessments
    dated and recognitions decided on or before ``as_of``. Eight queries.

    Raises UnknownCriteriaSet when ``set_code`` names no commune-level set."""
    return _area_dashboard(
        district, district_communes(district, kind), set_code=set_code, as_of=as_of, kind=kind
    )


def province_dashboard(
    province: Province, *, set_code: str = "", as_of: datetime.date, kind: str = ""
) -> Dashboard:
    """The same parts as ``district_dashboard`` over every commune of ``province`` (those of
    its districts and those without a district), with one summary row per district (none
    since 01/07/2025: the two-level map has no districts). For a province formed on
    01/07/2025 the trend goes back through the merger (see ``trend``). Ten queries: the
    lineage is read for every province, so the count does not depend on the era."""
    communes = Commune.objects.filter(province=province)
    if kind:
        communes = communes.filter(kind=kind)
    lineage = defaultdict(list)
    for successor_id, predecessor_id in (
        CommuneSuccession.objects.filter(successor__in=communes)
        .order_by()
        .values_list("successor_id", "predecessor_id")
    ):
        lineage[successor_id].append(predecessor_id)
    board = _area_dashboard(
        province, communes, set_code=set_code, as_of=as_of, kind=kind, lineage=dict(lineage)
    )
    by_district = defaultdict(list)
    for row in board.rows:
        by_district[row.commune.district_id].append(row)
    board.districts = [
        _district_summary(district, by_district[district.pk])
        for district in province.districts.order_by("code")
    ]
    return board


def _district_summary(district: District, rows: list[CommuneProgress]) -> DistrictSummary:
    assessed = [r for r in rows if r.assessment is not None]
    return DistrictSummary(
        district=district,
        # Village counts are on the district's own dashboard.
        headline=_headline(rows, {}),
        assessed=len(assessed),
        met_total=sum(r.met_count for r in assessed),
    )


def _area_dashboard(
    unit,
    communes: QuerySet[Commune],
    *,
    set_code: str,
    as_of: datetime.date,
    kind: str,
    lineage: dict[int, list[int]] | None = None,
) -> Dashboard:
    lineage = lineage or {}
    lineage_of = defaultdict(list)
    for successor_id, predecessor_ids in lineage.items():
        for predecessor_id in predecessor_ids:
            lineage_of[predecessor_id].append(successor_id)
    # Predecessors' assessments only before the merger: what they became is the area's own.
    read = area_assessments(communes, as_of, list(lineage_of) if lineage_of else None)
    inherited = [
        (v[1], v[3], v[0], v[5], v[2]) for v in read if v[1] in lineage_of and v[3] < MERGER_DATE
    ]
    rows_of_area = [v for v in read if v[1] not in lineage_of]
    sets = area_sets(rows_of_area + [v for v in read if v[1] in lineage_of], lineage_of)
    province_id = unit.pk if isinstance(unit, Province) else unit.province_id
    criteria_set = resolve_set(sets, set_code, as_of=as_of, province_id=province_id)
    set_id = criteria_set.pk if criteria_set else None

    commune_list = [
        CommuneRef(*values) for values in communes.order_by("code").values_list(*CommuneRef.FIELDS)
    ]
    # Filtering on a None set still runs the query, so the count does not depend on the data.
    criteria = list(Criterion.objects.filter(criteria_set_id=set_id).order_by("number"))
    # Each commune's latest assessment against each set: the newest date, then the highest pk
    # (as AssessmentQuerySet.latest_per_unit_and_set).
    newest = {}
    for values in rows_of_area:
        key = (values[1], values[2])
        found = newest.get(key)
        if found is None or (values[3], values[0]) > (found[3], found[0]):
            newest[key] = values
    latest_ids = [values[0] for (_, s_id), values in newest.items() if s_id == set_id]
    # By ids, not a subquery: the ids are known. An empty list still runs the query (on a
    # column that is never null), so the count does not depend on the data.
    results = (
        CriterionResult.objects.filter(
            **({"assessment_id__in": latest_ids} if latest_ids else {"assessment_id": None})
        )
        .order_by()
        .values_list("assessment_id", "criterion_id", "status")
    )
    recognitions = (
        Recognition.objects.active(as_of)
        .filter(commune__in=communes)
        .order_by("decided_on", "pk")
        .values_list(*RecognitionRef.FIELDS)
    )
    targets = (
        Target.objects.filter(commune__in=communes)
        .order_by("planned_year", "pk")
        .values_list(*TargetRef.FIELDS)
    )
    village_counts = dict(
        Recognition.objects.active(as_of)
        .filter(village__commune__in=communes, title__in=VILLAGE_TITLES)
        .values("title")
        .annotate(n=Count("village", distinct=True))
        .order_by()
        .values_list("title", "n")
    )

    # The chosen set first, then the newest sets.
    set_rank = {s.pk: (s.pk != set_id, s.period_order) for s in sets}
    sets_by_id = {s.pk: s for s in sets}
    every_set = [
        LatestAssessment(
            *values,
            criteria_set=sets_by_id[values[2]],
            criteria_total=sets_by_id[values[2]].criteria_count,
        )
        for values in sorted(newest.values(), key=lambda v: set_rank[v[2]])
    ]
    assessments = {a.commune_id: a for a in every_set if a.criteria_set_id == set_id}
    status = defaultdict(dict)
    for a_id, criterion_id, s in results:
        status[a_id][criterion_id] = s
    criterion_ids = [c.pk for c in criteria]
    labels = criterion_labels(criteria)
    not_assessed = [NOT_ASSESSED] * len(criteria)
    rows = {}
    for commune in commune_list:
        assessment = assessments.get(commune.pk)
        if assessment:
            found = status.get(assessment.pk, {})
            cells = [found.get(c_id, NOT_ASSESSED) for c_id in criterion_ids]
        else:
            cells = list(not_assessed)
        rows[commune.pk] = CommuneProgress(
            commune=commune,
            assessment=assessment,
            cells=cells,
            criteria=criteria,
            as_of=as_of,
            labels=labels,
        )
    for values in recognitions:
        rows[values[1]].recognitions.append(RecognitionRef(*values))
    for assessment in every_set:
        rows[assessment.commune_id].all_sets.append(assessment)
    for values in targets:  # read even without a set, so the count does not depend on it
        target = TargetRef(*values)
        if criteria_set and _target_matches(target, criteria_set):
            rows[target.commune_id].target = target

    row_list = list(rows.values())
    history = [(v[1], v[3], v[0], v[5]) for v in rows_of_area if v[2] == set_id]
    inherited_history = [h[:4] for h in inherited if h[4] == set_id]
    return Dashboard(
        unit=unit,
        criteria_set=criteria_set,
        sets=sets,
        as_of=as_of,
        kind=kind,
        criteria=criteria,
        rows=row_list,
        headline=_headline(row_list, village_counts),
        trend=trend(
            history,
            len(criteria),
            as_of,
            criteria_set,
            lineage=lineage,
            inherited=inherited_history,
        ),
    )


def _target_matches(target: TargetRef, criteria_set: CriteriaSet) -> bool:
    if target.criteria_set_id:
        return target.criteria_set_id == criteria_set.pk
    return target.title == criteria_set.title


def _headline(rows: list[CommuneProgress], village_counts: dict) -> Headline:
    def holding(*titles):
        return sum(1 for r in rows if not r.recognition_titles.isdisjoint(titles))

    return Headline(
        rural_communes=sum(1 for r in rows if r.commune.kind == CommuneKind.COMMUNE),
        communes=len(rows),
        # A commune holding the advanced or model title has met NTM first.
        ntm=holding(*NTM_COMMUNE_TITLES),
        ntmnc=holding(Title.NTMNC),
        model=holding(Title.MODEL),
        unrecognised=sum(1 for r in rows if not r.recognitions),
        villages_ntm=village_counts.get(Title.VILLAGE_NTM, 0),
        villages_model=village_counts.get(Title.VILLAGE_MODEL, 0),
    )


# ---------------------------------------------------------------------------------------------
# National overview: provinces ranked
# ---------------------------------------------------------------------------------------------


@dataclass
class ProvinceRank:
    province: Province
    # Communes (xã) only: the denominator of the NTM titles.
    rural_communes: int
    ntm: int
    ntmnc: int
    model: int

    @property
    def percent(self) -> int:
        return round(100 * self.ntm / self.rural_communes) if self.rural_communes else 0


def national_ranking(provinces: QuerySet[Province], as_of: datetime.date) -> list[ProvinceRank]:
    """``provinces`` valid on ``as_of`` ranked by the share of their communes (xã) holding
    an NTM-level title on that day, the highest first (ties by code): the 63 provinces before
    01/07/2025, the 34 since. One query."""
    xa = Commune.objects.filter(province=OuterRef("pk"), kind=CommuneKind.COMMUNE)

    def holding(*titles):
        held = Recognition.objects.active(as_of).filter(commune=OuterRef("pk"), title__in=titles)
        return SubqueryCount(xa.filter(Exists(held)).values("pk"))

    annotated = (
        provinces.valid_on(as_of)
        .annotate(
            rural_communes=SubqueryCount(xa.values("pk")),
            ntm=holding(*NTM_COMMUNE_TITLES),
            ntmnc=holding(Title.NTMNC),
            model=holding(Title.MODEL),
        )
        .order_by("code")
    )
    ranks = [
        ProvinceRank(
            province=p, rural_communes=p.rural_communes, ntm=p.ntm, ntmnc=p.ntmnc, model=p.model
        )
        for p in annotated
    ]
    return sorted(ranks, key=lambda r: (-r.ntm / (r.rural_communes or 1), r.province.code))
