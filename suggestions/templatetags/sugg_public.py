"""Template helpers of the suggestion box's public pages."""

from django import template

register = template.Library()


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
    return field.as_widget(attrs=attrs)
