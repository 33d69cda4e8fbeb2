"""Load the demo data (fixtures/demo.json): the seed articles' units, assessments,
recognitions, targets and figures, and one demo account per role.

Idempotent: every row is looked up by its natural identity (unit + set + date, unit + title,
...) before it is created, so running it again changes nothing.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from communes.enums import ResultStatus, Role, VillageKind
from communes.models import (
    LEGACY_VALID_TO,
    Commune,
    District,
    Membership,
    Province,
    Statistic,
    Village,
)
from communes.selectors import unit_by_code

from .models import Assessment, CriteriaSet, Recognition, Target, unit_filter
from .services import add_placeholder_criteria, add_placeholder_indicators, record_assessment

DEMO_FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1):
        self.created[what] = self.created.get(what, 0) + n

    def lines(self) -> list[str]:
        if not any(self.created.values()):
            return ["Demo data already present: nothing changed."]
        return [f"{what}: {n} created" for what, n in self.created.items() if n]


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _day(spec: dict) -> datetime.date:
    """The day on which the spec's unit codes are read: its own "on" or "date", else the last
    day of the pre-2025 map (the seed articles all describe units of that map)."""
    text = spec.get("on") or spec.get("date")
    return _date(text) if text else LEGACY_VALID_TO


def _unit(spec: dict):
    day = _day(spec)
    if spec.get("commune"):
        return unit_by_code(Commune, spec["commune"], on=day)
    if spec.get("district"):
        return unit_by_code(District, spec["district"], on=day)
    return unit_by_code(Village, spec["village"], on=day)


def village_code(commune_code: str, n: int) -> str:
    # GSO does not code villages; the demo codes them under their commune's code.
    return f"{commune_code}.{n:02d}"


@transaction.atomic
def load_demo(*, path=DEMO_FIXTURE) -> DemoSummary:
    """Side effects: creates placeholder criteria/indicators (clearly labelled), villages,
    assessments with their results, recognitions, targets, statistics, and the demo users with
    their memberships. Needs load_admin_units (provinces 38, 42, 46, 80) and load_criteria."""
    data = json.loads(path.read_text(encoding="utf-8"))
    summary = DemoSummary()
    sets = {s.code: s for s in CriteriaSet.objects.all()}
    if not sets:
        raise ValueError("No criteria sets: run `manage.py load_criteria` first.")

    for spec in data["placeholders"]:
        criteria_set = sets[spec["set"]]
        if "indicators_up_to" in spec:
            n = add_placeholder_indicators(
                criteria_set=criteria_set, up_to=spec["indicators_up_to"], why=spec["why"]
            )
            summary.add("placeholder indicators", n)
        if "criteria_up_to" in spec:
            n = add_placeholder_criteria(
                criteria_set=criteria_set, up_to=spec["criteria_up_to"], why=spec["why"]
            )
            summary.add("placeholder criteria", n)

    for spec in data["villages"]:
        commune = unit_by_code(Commune, spec["commune"], on=_day(spec))
        for n in range(1, spec["count"] + 1):
            _, created = Village.objects.get_or_create(
                code=village_code(commune.code, n),
                defaults={
                    "name": f"Thôn {n} (minh họa)",
                    "kind": spec.get("kind", VillageKind.THON),
                    "commune": commune,
                },
            )
            summary.add("villages", created)

    for spec in data["assessments"]:
        unit = _unit(spec)
        criteria_set = sets[spec["set"]]
        assessed_on = _date(spec["date"])
        existing = Assessment.objects.filter(
            unit_filter(unit), criteria_set=criteria_set, assessed_on=assessed_on
        )
        if existing.exists():
            # A demo loaded before the statuses followed the articles catches up.
            existing.exclude(
                status=spec["status"], date_uncertain=spec.get("date_uncertain", False)
            ).update(status=spec["status"], date_uncertain=spec.get("date_uncertain", False))
            continue
        statuses = {n: ResultStatus.NOT_MET for n in spec.get("not_met", [])}
        statuses |= {n: ResultStatus.BASICALLY_MET for n in spec.get("basically_met", [])}
        numbers = criteria_set.criteria.values_list("number", flat=True)
        results = {n: (statuses.get(n, ResultStatus.MET), "") for n in numbers}
        indicators_met = None
        if spec.get("all_indicators_met"):
            indicators_met = {
                code: True
                for code in criteria_set.criteria.values_list("indicators__code", flat=True)
                if code
            }
        assessment = record_assessment(
            unit=unit,
            criteria_set=criteria_set,
            assessed_on=assessed_on,
            results=results,
            indicators_met=indicators_met,
            status=spec["status"],
            notes=f"{spec['notes']}\nNguồn: {spec['source']}",
        )
        if spec.get("date_uncertain"):
            Assessment.objects.filter(pk=assessment.pk).update(date_uncertain=True)
        summary.add("assessments")

    for spec in data["recognitions"]:
        unit = _unit(spec)
        _, created = Recognition.objects.filter(unit_filter(unit)).get_or_create(
            title=spec["title"],
            decided_on=_date(spec["date"]),
            defaults={
                **_unit_fields(unit),
                "authority": spec.get("authority", ""),
                "note": f"{spec['note']}\nNguồn: {spec['source']}",
                "date_uncertain": spec.get("date_uncertain", False),
            },
        )
        summary.add("recognitions", created)

    for spec in data["village_recognitions"]:
        district = unit_by_code(District, spec["district"], on=_day(spec))
        villages = Village.objects.filter(commune__district=district).order_by("code")
        # Model villages: the first village of each commune, so they spread over communes.
        if spec["title"] == "village_model":
            firsts = {}
            for village in villages:
                firsts.setdefault(village.commune_id, village)
            villages = list(firsts.values())
        for village in list(villages)[: spec["count"]]:
            _, created = Recognition.objects.get_or_create(
                village=village,
                title=spec["title"],
                defaults={
                    "decided_on": _date(spec["date"]),
                    "note": f"{spec['note']}\nNguồn: {spec['source']}",
                    "date_uncertain": spec.get("date_uncertain", False),
                },
            )
            summary.add("village recognitions", created)

    for spec in data["targets"]:
        unit = _unit(spec)
        _, created = Target.objects.filter(unit_filter(unit)).get_or_create(
            title=spec["title"],
            defaults={
                **_unit_fields(unit),
                "planned_year": spec["year"],
                "criteria_set": sets.get(spec.get("set")),
                "note": spec.get("note", ""),
            },
        )
        summary.add("targets", created)

    for spec in data["statistics"]:
        _, created = Statistic.objects.get_or_create(
            commune=unit_by_code(Commune, spec["commune"], on=_day(spec)),
            year=spec["year"],
            kind=spec["kind"],
            defaults={"value": Decimal(spec["value"]), "source": spec["source"]},
        )
        summary.add("statistics", created)

    _load_accounts(data, summary)
    return summary


def _unit_fields(unit) -> dict:
    return {
        "commune": unit if isinstance(unit, Commune) else None,
        "village": unit if isinstance(unit, Village) else None,
        "district": unit if isinstance(unit, District) else None,
    }


def _load_accounts(data: dict, summary: DemoSummary) -> None:
    User = get_user_model()
    for spec in data["accounts"]:
        user = User.objects.filter(username=spec["username"]).first()
        if user is None:
            superuser = spec.get("superuser", False)
            user = User(
                username=spec["username"],
                first_name=spec["name"],
                is_staff=superuser,
                is_superuser=superuser,
            )
            user.set_password(data["password"])
            user.save()
            summary.add("accounts")
        if Membership.objects.filter(user=user).exists():
            continue
        role, code, day = spec["role"], spec["unit"], _day(spec)
        membership = Membership(user=user, role=role)
        if role == Role.COMMUNE_OFFICIAL:
            membership.commune = unit_by_code(Commune, code, on=day)
        elif role == Role.DISTRICT_OFFICE:
            membership.district = unit_by_code(District, code, on=day)
        elif role == Role.PROVINCE_OFFICE:
            membership.province = unit_by_code(Province, code, on=day)
        membership.save()
