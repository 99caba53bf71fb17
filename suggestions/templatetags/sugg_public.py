"""Template helpers of the suggestion box's public pages."""

from django import forms, template
from django.forms.widgets import Input
from django.utils.html import format_html, format_html_join

register = template.Library()


def _attributes(attrs):
    """Django's widgets/attrs.html in Python: `` name="value"`` each, a bare name for True, none for False."""
    return format_html_join("", " {}{}", ((name, "" if value is True else format_html('="{}"', value))
                                          for name, value in attrs.items() if value is not False))


def _render(field, attrs):
    """``field.as_widget(attrs=attrs)`` without a template render for the plain widgets of the public forms
    (a text input, a text area, a file input without a current file): the same HTML, a fraction of the
    time — the form is the busiest page residents open. Any other widget goes through Django."""
    widget = field.field.widget
    kind = type(widget)
    plain = (issubclass(kind, forms.Textarea) or (issubclass(kind, Input) and kind.template_name in (
        "django/forms/widgets/text.html", "django/forms/widgets/clearable_file_input.html",
        "django/forms/widgets/file.html")))
    if not plain or field.field.localize:
        return field.as_widget(attrs=attrs)
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    if context.get("is_initial"):
        return field.as_widget(attrs=attrs)  # a current file to show: Django's template
    if issubclass(kind, forms.Textarea):
        value = context["value"]
        return format_html("<textarea name=\"{}\"{}>\n{}</textarea>", context["name"],
                           _attributes(context["attrs"]), value if value else "")
    value = context["value"] if not issubclass(kind, forms.FileInput) else None
    return format_html("<input type=\"{}\" name=\"{}\"{}{}>", context["type"], context["name"],
                       format_html(' value="{}"', value) if value is not None else "",
                       _attributes(context["attrs"]))


@register.simple_tag
def control(field):
    """A field's widget with Bootstrap's class, and named by its hint, errors and (for texts) counter."""
    is_file = field.widget_type in ("multiplefile", "clearablefile", "file")
    attrs = {"class": ("form-control" + (" form-control-lg" if not is_file else ""))
             + (" is-invalid" if field.errors else "")}
    described = [f"{field.auto_id}_help"] if field.help_text else []
    described += [f"{field.auto_id}_error{i}" for i in range(1, len(field.errors) + 1)]
    if field.name == "text":
        described.append(f"{field.auto_id}_counter")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return _render(field, attrs)
