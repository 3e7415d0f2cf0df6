"""The checkboxes drawn in Python are Django's own markup, character for character."""

from __future__ import annotations

import pytest
from django import forms

from supervision.choices import District, FacilityKind, Grade
from supervision.forms.widgets import CheckboxChoices

HOSTILE = [("<b>x</b>", '"><script>alert(1)</script>'), ("=1+1", "a & b"), ("'", "’")]


@pytest.mark.parametrize(
    "choices",
    [FacilityKind.choices, Grade.choices, District.choices, HOSTILE, []],
    ids=["kinds", "grades", "districts", "hostile", "none"],
)
@pytest.mark.parametrize("value", [None, [], ["A"], ["hospital", "C"], ["<b>x</b>", "=1+1"]])
@pytest.mark.parametrize("attrs", [None, {"id": "id_kind"}, {"id": "id_x", "class": "a b"}])
def test_the_checkboxes_are_djangos_markup(choices, value, attrs):
    django = forms.CheckboxSelectMultiple(choices=choices).render("kind", value, attrs=attrs)
    ours = CheckboxChoices(choices=choices).render("kind", value, attrs=attrs)
    assert ours == django


def test_a_bound_filter_form_draws_the_same_checkboxes():
    class Filters(forms.Form):
        grade = forms.MultipleChoiceField(choices=Grade.choices, required=False)

    form = Filters({"grade": ["B", "D"]})
    form.fields["grade"].widget = forms.CheckboxSelectMultiple(choices=Grade.choices)
    django = str(form["grade"])
    form.fields["grade"].widget = CheckboxChoices(choices=Grade.choices)
    assert str(form["grade"]) == django
