"""How the OpenAPI contract describes what the generic machinery cannot see by itself: the
errors every operation can answer, and related rows written as ids but read as objects."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import Direction, OpenApiParameter

from supervision.api.conditional import ETAG_HELP, IF_MATCH_HELP
from supervision.api.pagination import MAX_INT
from supervision.models.base import Versioned

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "Why the request was refused."}},
    "required": ["detail"],
}
_ERRORS: dict[str, tuple[str, dict, str]] = {
    "400": (
        "ValidationErrors",
        {
            "type": "object",
            "description": "A message list per input field that was refused: "
            '`{"field": ["message", ...]}`; `non_field_errors` holds what concerns the input '
            'as a whole. A body that is not JSON gets `{"detail": "message"}`.',
            "additionalProperties": {},
        },
        "Invalid input: nothing was written.",
    ),
    "401": ("NotAuthenticated", _DETAIL, "No valid token or session: sign in or send a token."),
    "403": ("PermissionDenied", _DETAIL, "The user's role does not allow this."),
    "404": ("NotFound", _DETAIL, "No such record, or none the user may see."),
    "412": (
        "StaleVersion",
        {
            "type": "object",
            "properties": {
                "detail": {"type": "string", "description": "Why the request was refused."},
                "current_version": {
                    "type": "integer",
                    "description": "The record's version now (also in the ETag header).",
                },
                "current": {
                    "type": "array",
                    "description": "The record's current values: field, label, value (text "
                    "past 200 characters shortened; read the record for all of it).",
                    "items": {"type": "object", "additionalProperties": {}},
                },
                "changes": {
                    "type": "array",
                    "description": "The changes made since the version sent, newest first: "
                    "who, when and which fields, old → new (as shown on the pages). Only for a "
                    "user who may read the record's history; absent when the If-Match names "
                    "no version of this record.",
                    "items": {"type": "object", "additionalProperties": {}},
                },
            },
            "required": ["detail"],
        },
        "The If-Match is not the record's current version: someone changed it since it was "
        "read. Nothing was written; read the record again (GET), re-apply the change, send it "
        "with the new ETag.",
    ),
    "428": (
        "PreconditionRequired",
        _DETAIL,
        "No If-Match (or `*`): a change must name the version it was made on. Nothing was written.",
    ),
}
# Actions that answer with the record of their URL (or the one they create), with its ETag.
_ETAG_ACTIONS = {"retrieve", "create", "update", "partial_update"}


_REPEAT = " Repeat the parameter for several values."
_BOUNDED_ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
# English descriptions of the FilterSets' parameters (their labels are the pages' Chinese ones):
# by parameter, or by (endpoint, parameter) where the meaning differs. Schema tweaks beside.
_PARAMETERS: dict[str, tuple[str, dict | None]] = {
    "q": (
        "Search: part of the facility's name, its whole unified social credit code, or the "
        "first characters of its insurance code.",
        None,
    ),
    "ownership": ("Economic type of the facility.", None),
    "district": ("County-level division of the facility (GB/T 2260 code)." + _REPEAT, None),
    "zone": ("Development zone of the facility.", None),
    "agreement_status": ("Service-agreement status today." + _REPEAT, None),
    "ordering": (
        "Sort order: one or more of the listed keys, comma-separated, `-` for descending. "
        "Rows that tie are ordered by id. Default: the endpoint's newest-first order (by name "
        "for facilities).",
        None,
    ),
    "facility": ("Id of the facility concerned.", _BOUNDED_ID),
    "rating": ("Id of the rating changed.", _BOUNDED_ID),
    "inspection": ("Id of the inspection referred.", _BOUNDED_ID),
    "changed_by": ("Id of the user who set or changed the grade.", _BOUNDED_ID),
    "to_grade": ("Grade after the change." + _REPEAT, None),
    "changed_after": ("Changed on or after this day.", None),
    "changed_before": ("Changed on or before this day.", None),
    "violation": ("A violation category the inspection found.", None),
    "start_date_after": ("Inspection began on or after this day.", None),
    "start_date_before": ("Inspection began on or before this day.", None),
    "referred_on_after": ("Referred on or after this day.", None),
    "referred_on_before": ("Referred on or before this day.", None),
    "decided_on_after": ("Decided on or after this day.", None),
    "decided_on_before": ("Decided on or before this day.", None),
    "in_force": (
        "true: suspensions in force today; false: every other measure.",
        {"type": "boolean"},
    ),
    "facilities:kind": ("Kind of facility." + _REPEAT, None),
    "facilities:year": (
        "Rating year the grade filter looks at, 2018-2100; default the latest rated year.",
        {"type": "integer", "minimum": 2018, "maximum": 2100},
    ),
    "facilities:grade": ("Grade held in `year`." + _REPEAT, None),
    "ratings:kind": ("Kind of the rated facility." + _REPEAT, None),
    "ratings:year": ("Year rated, 2018-2100.", None),
    "ratings:grade": ("Grade." + _REPEAT, None),
    "ratings:facility": ("Id of the rated facility.", _BOUNDED_ID),
    "rating-changes:year": ("Year of the rating changed, 2018-2100.", None),
    "inspections:kind": ("Kind of inspection." + _REPEAT, None),
    "inspections:status": ("Status of the inspection." + _REPEAT, None),
    "inspections:agency": ("A partner agency that took part.", None),
    "inspections:facility": ("Id of the inspected facility.", _BOUNDED_ID),
    "referrals:agency": ("Agency referred to." + _REPEAT, None),
    "referrals:status": ("Status of the referral." + _REPEAT, None),
    "sanctions:kind": ("Kind of measure." + _REPEAT, None),
    "tips:q": (
        "Search: a tip number (#123), part of the subject's name as reported, or the named "
        "facility's name, pinyin or codes. Never the reporter's details.",
        None,
    ),
    "tips:channel": ("How the tip reached the bureau." + _REPEAT, None),
    "tips:status": ("Status of the tip." + _REPEAT, None),
    "tips:clock": (
        "Running clock today: overdue, due_soon (at most 2 working days left) or unknown "
        "(deadline in a year the calendar does not know).",
        None,
    ),
    "tips:district": ("County-level division of the tip (GB/T 2260 code)." + _REPEAT, None),
    "tips:facility": ("Id of the facility the tip names.", _BOUNDED_ID),
    "tips:received_after": ("Received on or after this day.", None),
    "tips:received_before": ("Received on or before this day.", None),
    "tips:conclusion": ("Result of the investigation." + _REPEAT, None),
    "tips:inspection": ("Id of the inspection investigating the tip.", _BOUNDED_ID),
    "tip-rewards:q": ("The rewarded tip's number, e.g. #123.", None),
    "tip-rewards:status": ("Status of the reward." + _REPEAT, None),
    "tip-rewards:year": ("Year proposed, 2000-2100.", None),
    "tip-rewards:proposed_on_after": ("Proposed on or after this day.", None),
    "tip-rewards:proposed_on_before": ("Proposed on or before this day.", None),
    "tip-rewards:district": (
        "County-level division of the rewarded tip (GB/T 2260 code)." + _REPEAT,
        None,
    ),
    "tip-rewards:tip": ("Id of the rewarded tip.", _BOUNDED_ID),
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the error responses (400, 401, 403, 404) an operation
    can give, so a client knows them and a contract test can hold the API to them, and English
    descriptions of the filter parameters."""

    def _versioned(self) -> bool:
        queryset = getattr(self.view, "queryset", None)
        return queryset is not None and issubclass(queryset.model, Versioned)

    def _conditional(self) -> bool:
        action = getattr(self.view, "action", None)
        return self._versioned() and action in getattr(self.view, "conditional_actions", ())

    def get_override_parameters(self) -> list:
        """If-Match on the writes that change a record, ETag on the answers that show one."""
        parameters = list(super().get_override_parameters())
        if self._conditional():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=True,
                    description=IF_MATCH_HELP,
                )
            )
        action = getattr(self.view, "action", None)
        if self._versioned() and (action in _ETAG_ACTIONS or self._conditional()):
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description=ETAG_HELP,
                )
            )
        return parameters

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":
                parameter["description"] = "Id of the record."
        return operation

    def _get_filter_parameters(self) -> list[dict]:
        parameters = super()._get_filter_parameters()
        endpoint = self.path.removeprefix("/api/").split("/")[0]
        for parameter in parameters:
            name = parameter["name"]
            description, schema = _PARAMETERS.get(f"{endpoint}:{name}") or _PARAMETERS.get(
                name, ("", None)
            )
            if description:
                label = parameter.get("description", "")
                parameter["description"] = f"{description}\n\n{label}" if label else description
            if schema is not None:
                parameter["schema"] = dict(schema)
        return parameters

    def _get_response_bodies(self, direction: Direction = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            if code.startswith("2") and not response.get("description"):
                response["description"] = "Done: the record as stored now."
        codes = ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH") or (
            self.method == "GET" and self._is_list_view()
        ):
            codes.append("400")
        if self._conditional():
            codes += ["412", "428"]
        for code in sorted(codes):
            name, schema, description = _ERRORS[code]
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
            )
            self.registry.register_on_missing(component)
            response = {
                "description": description,
                "content": {"application/json": {"schema": component.ref}},
            }
            if code == "412":
                response["headers"] = {
                    "ETag": {"schema": {"type": "string"}, "description": "The current version."}
                }
            responses.setdefault(code, response)
        return responses


class RelatedIdFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "supervision.api.fields.RelatedIdField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict:
        brief = getattr(self.target, "brief", None)
        if brief is not None and direction == "response":
            return auto_schema.resolve_serializer(brief, direction).ref
        return {"type": "integer", "minimum": 1, "maximum": MAX_INT}
