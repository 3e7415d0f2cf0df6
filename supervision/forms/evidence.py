"""The form that uploads an evidence file; the checks of the file itself are the service's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from supervision.choices import EvidenceType
from supervision.models.evidence import MAX_DESCRIPTION_LENGTH
from supervision.services.evidence import too_large_message

# What the browser's file picker offers; the server goes by the content whatever is chosen.
ACCEPT = ",".join(
    [*EvidenceType.values, *(ext for kind in EvidenceType for ext in kind.extensions)]
)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("文件"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    description = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        help_text=_("例如：随货同行单照片、处理决定书扫描件。"),
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        """too_large: the request's file was dropped for its size (uploads.upload_too_large)."""
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        if too_large:
            self.fields["file"].required = False
        types = pgettext("list separator", "、").join(str(kind.label) for kind in EvidenceType)
        self.fields["file"].help_text = _("%(types)s，最大%(max)s。按文件内容判断类型。") % {
            "types": types,
            "max": filesizeformat(settings.EVIDENCE_MAX_BYTES),
        }

    def clean_file(self):
        if self.too_large:
            raise forms.ValidationError(too_large_message())
        return self.cleaned_data["file"]
