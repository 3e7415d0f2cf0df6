"""The form of the document templates' page (文书模板): the wording a supervisor adjusts.

Whether a template is the active one of its kind is asked apart (`activate`): the service sets
the kind's other active template aside in the same save, where the model's own field would be
refused by the one-active-per-kind constraint before the service could.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.forms.fields import MultilineField
from supervision.forms.versions import VersionedFormMixin
from supervision.models import DocumentTemplate
from supervision.models.documents import BODY_LENGTH


class DocumentTemplateForm(VersionedFormMixin, forms.ModelForm):
    """A template's wording; the model's clean() refuses unknown placeholders by name."""

    body = MultilineField(
        label=_("正文"),
        max_length=BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 18, "maxlength": BODY_LENGTH}),
        help_text=DocumentTemplate._meta.get_field("body").help_text,
    )
    activate = forms.BooleanField(
        label=_("启用"),
        required=False,
        help_text=_("生成这类文书时使用此模板；同类文书原先启用的模板将自动停用。"),
    )

    class Meta:
        model = DocumentTemplate
        fields = ["kind", "name", "title", "body", "signatory"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activate"].initial = self.instance.pk is not None and self.instance.is_active
        if self.instance.pk is not None:
            # A template's kind is what its placeholders were checked against: fixed once saved.
            self.fields["kind"].disabled = True
