"""The OpenAPI schema's parts the serializers do not give: the token authentication (a
bearer token) and the error answers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user token issued by an administrator (Authorization: Bearer …).",
        }


class ErrorSerializer(serializers.Serializer):
    """A refusal: what went wrong, in the caller's language."""

    detail = serializers.CharField()


class PortalAutoSchema(AutoSchema):
    """Documents the answers every operation may give besides its 200: a bad filter (400,
    an object naming each wrong parameter with its messages), no or a bad token (401), part
    of the area only (403), not found or outside the caller's subtree (404), over the rate
    limit (429), and 304 to a conditional request."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        responses.setdefault("304", {"description": "Not modified (If-None-Match)."})
        responses.setdefault(
            "400",
            {
                "description": "A bad filter: each wrong parameter with its messages.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        }
                    }
                },
            },
        )
        for code in ("401", "403", "404", "429"):
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses


# What each filter of the list endpoints means, for the schema (the forms in api.filters
# parse them).
FILTER_DESCRIPTIONS = {
    "province": "GSO code of a province.",
    "district": "GSO code of a district.",
    "commune": "GSO code of a commune.",
    "kind": "Kind of commune.",
    "valid_on": "Only units (or sets) valid on this date (YYYY-MM-DD).",
    "level": "The level a set applies to.",
    "title": "The title (of the set, recognition or target).",
    "set": "Code of a criteria set.",
    "as_of": "Assessments dated on or before, or recognitions in force on, this date.",
    "latest": "true: each unit's latest assessment against each set (among those selected).",
    "active": "true: recognitions not revoked; false: revoked ones.",
    "year": "Planned year of the target.",
}


def form_parameters(form_class):
    """The query parameters of a filter form (api.filters), typed for the schema."""
    from django import forms
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    parameters = []
    for name, field in form_class.base_fields.items():
        kind, enum = str, None
        if isinstance(field, forms.DateField):
            kind = OpenApiTypes.DATE
        elif isinstance(field, forms.IntegerField):
            kind = int
        elif isinstance(field, forms.BooleanField | forms.NullBooleanField):
            kind = bool
        elif isinstance(field, forms.ChoiceField):
            enum = [value for value, _ in field.choices if value]
        parameters.append(
            OpenApiParameter(name, kind, enum=enum, description=FILTER_DESCRIPTIONS.get(name, ""))
        )
    return parameters
