"""Widgets drawn in Python where a list draws many of them on every request.

The filter bar of a list shows each choice filter as checkboxes: Django draws every checkbox
through three templates (the group, the option, the input and its attributes), about a fifth of
a list page's time. CheckboxChoices writes the same markup directly.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """name="value" … as Django's attrs.html writes them (False left out, True bare)."""
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(' {}="{}"', name, value)
                if value is not True
                else format_html(" {}", name),
            )
            for name, value in attrs.items()
            if value is not False and value is not None
        ),
    )


class CheckboxChoices(forms.CheckboxSelectMultiple):
    """A CheckboxSelectMultiple whose markup is Django's own (multiple_input.html and
    input_option.html, without option groups), written without the template engine."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for _group, group_options, _index in widget["optgroups"]:
            for option in group_options:
                option_attrs = option["attrs"]
                label_for = (
                    format_html(' for="{}"', option_attrs["id"]) if option_attrs.get("id") else ""
                )
                options.append(
                    format_html(
                        '<div>\n    <label{}><input type="{}" name="{}" value="{}"{}>\n {}'
                        "</label>\n\n</div>",
                        label_for,
                        option["type"],
                        option["name"],
                        str(option["value"]),
                        _attributes(option_attrs),
                        option["label"],
                    )
                )
        widget_attrs = widget["attrs"]
        opening = format_html(
            "<div{}{}>",
            format_html(' id="{}"', widget_attrs["id"]) if widget_attrs.get("id") else "",
            format_html(' class="{}"', widget_attrs["class"]) if widget_attrs.get("class") else "",
        )
        return mark_safe(opening + "".join(options) + "\n</div>")  # noqa: S308 -- parts escaped
