"""Evidence files in the API: list and upload on a record's endpoint
(/api/inspections/{id}/evidence/, likewise referrals, sanctions, tips, objections and credit
repairs), read and download at
/api/evidence/{id}/ and /api/evidence/{id}/download/.

Uploads go through services.attach_evidence, as on the pages; downloads answer the file only to
a user who may see it and the record it belongs to.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from supervision.api.permissions import RolePermissions
from supervision.choices import EvidenceType
from supervision.evidence_files import attach_and_record, download_response
from supervision.models import Evidence
from supervision.models.evidence import MAX_DESCRIPTION_LENGTH, evidence_field
from supervision.services.evidence import too_large_message
from supervision.uploads import upload_too_large

_TYPES = ", ".join(f"{kind.value} ({kind.extensions[0]})" for kind in EvidenceType)


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(
        source="uploaded_by.username",
        read_only=True,
        allow_null=True,
        help_text="User name of who uploaded the file (null for data loads).",
    )
    download = serializers.SerializerMethodField(
        help_text="Where to download the file: GET it with the same credentials."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "inspection",
            "referral",
            "sanction",
            "tip",
            "objection",
            "repair",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_by",
            "uploaded_at",
            "download",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Unique identifier of the file (read-only)."},
            "inspection": {"help_text": "Id of the inspection it belongs to, or null."},
            "referral": {"help_text": "Id of the referral it belongs to, or null."},
            "sanction": {"help_text": "Id of the sanction it belongs to, or null."},
            "tip": {"help_text": "Id of the tip (举报线索) it belongs to, or null."},
            "objection": {"help_text": "Id of the objection (异议) it belongs to, or null."},
            "repair": {"help_text": "Id of the credit repair (信用修复) it belongs to, or null."},
            "original_name": {
                "help_text": "The uploaded file's name, made safe: no path, no control "
                "characters, at most 120 characters, ending with an extension of its type. "
                "The download is offered under this name."
            },
            "content_type": {"help_text": "Type of the file, recognised from its content."},
            "size": {"help_text": "Size in bytes."},
            "sha256": {"help_text": "SHA-256 of the content, in hexadecimal."},
            "description": {"help_text": "What the file shows."},
            "uploaded_at": {"help_text": "When the file was uploaded."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, evidence: Evidence) -> str:
        return reverse(
            "api:evidence-download", args=[evidence.pk], request=self.context.get("request")
        )


class EvidenceUploadSerializer(serializers.Serializer):
    """Input of POST /api/{records}/{id}/evidence/ (multipart/form-data)."""

    file = serializers.FileField(
        help_text=f"The file. Accepted by its content, whatever its name: {_TYPES}. "
        "At most settings.EVIDENCE_MAX_BYTES (20 MB unless configured otherwise)."
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_DESCRIPTION_LENGTH,
        help_text="What the file shows, e.g. a photo of a delivery note; optional.",
    )


class EvidencePermissions(RolePermissions):
    """Reading a record's files needs view_evidence; adding one add_evidence and the change
    permission of the record (an inspector documents inspections, not sanctions)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return user.has_perm("supervision.view_evidence")
        model = self._queryset(view).model
        return user.has_perms(
            ["supervision.add_evidence", f"supervision.change_{model._meta.model_name}"]
        )


class EvidenceActions:
    """GET and POST {id}/evidence/ on the endpoint of a record files can be attached to."""

    @extend_schema(
        summary="List the evidence files",
        description="The files attached to the record, oldest first (not paginated).",
        responses={200: EvidenceSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="evidence",
        permission_classes=[EvidencePermissions],
        parser_classes=[MultiPartParser],
        serializer_class=EvidenceUploadSerializer,  # what OPTIONS describes for POST
        filter_backends=[],
        pagination_class=None,
    )
    def evidence(self, request, pk=None):
        record = self.get_object()
        rows = self._evidence_of(record)
        return Response(EvidenceSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Attach an evidence file",
        description="Uploads a file (multipart/form-data) as evidence of the record: a photo of "
        "a delivery note, a scanned decision, a PDF. Its type is recognised from its content, "
        f"not its name; accepted: {_TYPES}. It is stored under a random name and kept for good "
        "(evidence is neither replaced nor deleted).",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
    )
    @evidence.mapping.post
    def attach_evidence(self, request, pk=None):
        record = self.get_object()
        try:
            data = request.data  # reads the body: an oversized file is dropped while it arrives
        except RequestDataTooBig as exc:  # the other fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE
            raise ParseError(_("请求中的表单字段过大。")) from exc
        if upload_too_large(request):
            raise serializers.ValidationError({"file": [too_large_message()]})
        upload = EvidenceUploadSerializer(data=data)
        upload.is_valid(raise_exception=True)
        # The file's row and its audit event, or neither.
        evidence = attach_and_record(
            record,
            upload.validated_data["file"],
            upload.validated_data["description"],
            request,
        )
        row = Evidence.objects.select_related("uploaded_by").get(pk=evidence.pk)
        return Response(EvidenceSerializer(row, context={"request": request}).data, status=201)

    def _evidence_of(self, record: Model) -> QuerySet:
        return (
            Evidence.objects.visible_to(self.request.user)
            .filter(**{evidence_field(type(record)): record})
            .select_related("uploaded_by")
        )


class AnyAccept(BaseContentNegotiation):
    """A download answers with the file's own type whatever Accept says (errors in JSON)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_DOWNLOAD = OpenApiResponse(
    response=OpenApiTypes.BINARY,
    description="The file, as an attachment (Content-Disposition) under its original_name, "
    "with its content_type.",
)


class EvidenceViewSetMixin(mixins.RetrieveModelMixin):
    """Files are only added, on their record's endpoint: here they are read and downloaded."""

    queryset = Evidence.objects.all()
    serializer_class = EvidenceSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        # Through the scope of the records the files belong to (see EvidenceQuerySet).
        return Evidence.objects.visible_to(self.request.user).select_related("uploaded_by")

    @extend_schema(summary="Read an evidence file's record")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Download an evidence file",
        responses={(200, kind.value): _DOWNLOAD for kind in EvidenceType},
    )
    @action(detail=True, methods=["get"], content_negotiation_class=AnyAccept)
    def download(self, request, pk=None):
        return download_response(self.get_object(), request)
