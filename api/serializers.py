"""What the API says of each object. Codes are strings, numbers are JSON numbers, dates ISO
8601. Internal fields (notes, authors, evidence, import sources) are never included: the
public pages do not show them either."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communes.lineage import predecessors_of, successors_of
from criteria.enums import Verification

# The verification of a criterion, indicator or threshold as a stable, documented enum: the
# API does not expose the reference's internal tags (which may be renamed), and every tag
# must have a value here (tests/api/test_serializers.py).
VERIFICATION = {
    Verification.OFFICIAL: "verified_legal_text",
    Verification.SECONDARY: "verified_secondary_source",
    Verification.LOCAL: "provincial_variant",
    Verification.RECALLED: "unverified",
    Verification.INFERRED: "inferred",
    Verification.NOT_FOUND: "not_found",
    Verification.PLACEHOLDER: "placeholder",
}


class VerificationField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=sorted(set(VERIFICATION.values())), **kwargs)

    def to_representation(self, value):
        return VERIFICATION[value]


class LabelField(serializers.CharField):
    """The display text of a choice field, in the request's language (``get_X_display``)."""

    def __init__(self, choice_field, **kwargs):
        super().__init__(source=f"get_{choice_field}_display", read_only=True, **kwargs)


# -- Units --------------------------------------------------------------------------------------


class LinkedUnitSerializer(serializers.Serializer):
    """A unit of the lineage: named by its code and start date (a code
    names a unit only with a date), with whether only part of the area moved and when."""

    code = serializers.CharField(source="unit.code")
    valid_from = serializers.DateField(source="unit.valid_from", allow_null=True)
    name = serializers.CharField(source="unit.name")
    partly_merged = serializers.BooleanField()
    effective_on = serializers.DateField()


@extend_schema_field(LinkedUnitSerializer(many=True))
class LineageField(serializers.Field):
    """A unit's predecessors or successors, read with the unit (communes.lineage.with_lineage:
    two queries for a whole page of units)."""

    def __init__(self, direction, **kwargs):
        self.read = {"predecessors": predecessors_of, "successors": successors_of}[direction]
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, unit):
        return LinkedUnitSerializer(self.read(unit), many=True).data


class ProvinceSerializer(serializers.Serializer):
    """A province with its validity and lineage: the provinces it was formed from, or the one
    it became part of, on 01/07/2025."""

    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    predecessors = LineageField("predecessors")
    successors = LineageField("successors")


class DistrictSerializer(serializers.Serializer):
    """A district with its validity. Districts have no lineage links: the level was
    abolished on 01/07/2025 (``valid_to`` 30/06/2025), its communes have theirs."""

    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    province = serializers.CharField(source="province.code")
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)


class CommuneSerializer(serializers.Serializer):
    """A commune with its validity and lineage: the communes it was formed from (a new commune
    since 01/07/2025) or became part of (a commune of the former map), partly merged ones
    marked."""

    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    province = serializers.CharField(source="province.code")
    district = serializers.CharField(source="district.code", allow_null=True, default=None)
    region = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    predecessors = LineageField("predecessors")
    successors = LineageField("successors")


class UnitRefSerializer(serializers.Serializer):
    """The unit a row is bound to: a commune, a village or a district."""

    level = serializers.ChoiceField(choices=["commune", "village", "district"])
    code = serializers.CharField()
    name = serializers.CharField()
    commune = serializers.CharField(allow_null=True)
    district = serializers.CharField(allow_null=True)
    province = serializers.CharField()


@extend_schema_field(UnitRefSerializer)
class UnitRefField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, row):
        if row.commune_id:
            c = row.commune
            return {
                "level": "commune",
                "code": c.code,
                "name": c.name,
                "commune": c.code,
                "district": c.district.code if c.district_id else None,
                "province": c.province.code,
            }
        if row.village_id:
            v, c = row.village, row.village.commune
            return {
                "level": "village",
                "code": v.code,
                "name": v.name,
                "commune": c.code,
                "district": c.district.code if c.district_id else None,
                "province": c.province.code,
            }
        d = row.district
        return {
            "level": "district",
            "code": d.code,
            "name": d.name,
            "commune": None,
            "district": d.code,
            "province": d.province.code,
        }


UNIT_RELATED = (
    "commune__district",
    "commune__province",
    "village__commune__district",
    "village__commune__province",
    "district__province",
)


# -- Criteria sets ------------------------------------------------------------------------------


class SourcedSerializer(serializers.Serializer):
    """A criterion, an indicator or a threshold: what it says comes with how far it is
    verified (a stable enum and its label) and where it comes from. In each answer these come
    after the object's own fields and before its nested parts."""

    PROVENANCE = ("verification", "verification_label", "source")

    verification = VerificationField()
    verification_label = LabelField("verification")
    source = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        nested = [n for n, f in fields.items() if isinstance(f, serializers.ListSerializer)]
        own = [n for n in fields if n not in nested and n not in self.PROVENANCE]
        return {name: fields[name] for name in (*own, *self.PROVENANCE, *nested)}


class ThresholdSerializer(SourcedSerializer):
    """The level an indicator must reach, for one scope (national, a region, a commune group
    or a province) and one year (null: every year). No threshold means "not set"."""

    scope = serializers.CharField()
    region = serializers.CharField()
    commune_group = serializers.IntegerField(allow_null=True)
    province = serializers.CharField(source="province.code", allow_null=True, default=None)
    year = serializers.IntegerField(allow_null=True)
    value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    value_text = serializers.CharField()


class IndicatorSerializer(SourcedSerializer):
    """An indicator of a criterion, with its thresholds."""

    code = serializers.CharField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField()
    comparison = serializers.CharField()
    is_placeholder = serializers.BooleanField()
    thresholds = ThresholdSerializer(many=True)


class CriterionSerializer(SourcedSerializer):
    """A criterion of the set, with its indicators."""

    number = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    group = serializers.CharField()
    is_placeholder = serializers.BooleanField()
    indicators = IndicatorSerializer(many=True)


class CriteriaSetSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    short_name = serializers.CharField()
    level = serializers.CharField()
    title = serializers.CharField()
    legal_basis = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    province = serializers.CharField(source="province.code", allow_null=True, default=None)
    prerequisite = serializers.CharField(source="prerequisite.code", allow_null=True, default=None)
    declared_criteria_count = serializers.IntegerField(allow_null=True)
    declared_indicator_count = serializers.IntegerField(allow_null=True)
    criteria_count = serializers.IntegerField(source="n_criteria")
    indicator_count = serializers.IntegerField(source="n_indicators")
    sources = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_sources(self, obj):
        return [line.strip() for line in obj.sources.splitlines() if line.strip()]


class CriteriaSetDetailSerializer(CriteriaSetSerializer):
    criteria_count = None
    indicator_count = None
    criteria = CriterionSerializer(many=True)


# -- Assessments, recognitions, targets ----------------------------------------------------------


class ResultSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion.number")
    status = serializers.CharField()


class IndicatorValueSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code")
    criterion = serializers.IntegerField(source="indicator.criterion.number")
    value_number = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    value_bool = serializers.BooleanField(allow_null=True)
    is_met = serializers.BooleanField(allow_null=True)


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = UnitRefField()
    criteria_set = serializers.CharField(source="criteria_set.code")
    assessed_on = serializers.DateField()
    status = serializers.CharField()
    is_public = serializers.BooleanField()
    criteria_met = serializers.IntegerField()
    criteria_basically_met = serializers.IntegerField()
    criteria_total = serializers.IntegerField()
    indicators_met = serializers.IntegerField()
    indicators_recorded = serializers.IntegerField()
    indicators_total = serializers.IntegerField()
    results = ResultSerializer(many=True)
    indicator_values = IndicatorValueSerializer(many=True)


class RecognitionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = UnitRefField()
    title = serializers.CharField()
    title_label = LabelField("title")
    criteria_set = serializers.CharField(source="criteria_set.code", allow_null=True, default=None)
    decision_number = serializers.CharField()
    decided_on = serializers.DateField()
    authority = serializers.CharField()
    revoked_on = serializers.DateField(allow_null=True)
    revocation_reason = serializers.CharField()


class TargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = UnitRefField()
    title = serializers.CharField()
    title_label = LabelField("title")
    planned_year = serializers.IntegerField()
    criteria_set = serializers.CharField(source="criteria_set.code", allow_null=True, default=None)
