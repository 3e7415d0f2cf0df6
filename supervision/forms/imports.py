"""The upload of an import (supervision.imports)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.choices import ImportKind
from supervision.imports.engine import may_import


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=())
    file = forms.FileField(
        label=_("文件"),
        help_text=_("CSV（UTF-8 或 GBK 编码）或 XLSX，第一行为表头；最多 20 万行。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (value, label) for value, label in ImportKind.choices if may_import(user, value)
        ]
