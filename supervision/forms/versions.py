"""The version an editor loaded, carried by the edit forms of the pages and the admin.

A form that edits a models.base.Versioned record has a hidden `version` field with the version
shown to the editor. clean() compares it with the stored one (under the row's lock when the
request runs in a transaction, as the admin's does) and refuses the form when someone saved the
record since; a ModelForm also hands it to the record, whose save checks it again under the
lock. The refusal keeps everything the user typed on the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.models.base import StaleEdit, Versioned, current_version

VERSION = "version"
MISSING = _("表单缺少版本信息（可能是旧页面），未保存。请重新加载页面后再修改。")


class VersionField(forms.IntegerField):
    """Hidden; a missing or tampered value is reported on the form as a whole (see clean)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, min_value=1, **kwargs)

    def clean(self, value: Any) -> int | None:
        try:
            return super().clean(value)
        except forms.ValidationError:
            return None


class VersionedFormMixin:
    """Carries and checks the version of the record a form edits.

    ModelForms editing a saved Versioned instance get it by themselves; other forms acting on
    a record call carry_version(record) and pass `expected_version` to their service.
    """

    versioned: Versioned | None = None
    stale: StaleEdit | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if isinstance(instance, Versioned) and instance.pk is not None:
            self.carry_version(instance)

    def carry_version(self, record: Versioned) -> None:
        self.versioned = record
        self.fields[VERSION] = VersionField(initial=record.version)  # type: ignore[attr-defined]

    @property
    def expected_version(self) -> int | None:
        if self.versioned is None:
            return None
        return self.cleaned_data.get(VERSION)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        record = self.versioned
        if record is None:
            return cleaned
        expected = cleaned.get(VERSION)
        if expected is None:
            self.add_error(None, MISSING)  # type: ignore[attr-defined]
            return cleaned
        stored = current_version(type(record), record.pk)
        if stored is not None and stored != expected:
            self.stale = StaleEdit(record, expected=expected, current=stored)
            self.add_error(None, self.stale)  # type: ignore[attr-defined]
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        expected = self.expected_version
        instance = getattr(self, "instance", None)
        if expected is not None and instance is self.versioned:
            # The record's save checks this version again, under the row's lock.
            instance.version = expected  # type: ignore[union-attr]
