"""Messages built from several translated parts, with the punctuation of the user's language.

A message glued together in code — ``f"{label}：{message}"``, ``"；".join(errors)`` — keeps
its Chinese punctuation when the parts are English. Here the glue is translatable too: a
separator has its own catalogue entry (with a context, since "、" alone means nothing to a
translator), and a "label: message" pair is one string with placeholders, so English reads
"Code: required; Name: too long" and Chinese "编码：必填；名称：过长".
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def join_list(items):
    """Items of an enumeration: "甲、乙、丙" / "A, B, C"."""
    return pgettext("list separator", "、").join(str(item) for item in items)


def join_messages(messages):
    """Several complete messages in one line: "甲；乙" / "A; B"."""
    return pgettext("message separator", "；").join(str(message) for message in messages)


def labelled(label, message):
    """A message about something named: "小区编码：必填" / "Estate code: required"."""
    return _("%(label)s：%(message)s") % {"label": label, "message": message}


def with_note(text, note):
    """A text with a short note in brackets: "王芳（月湖花园）" / "Wang Fang (Yuehu Garden)"."""
    return _("%(text)s（%(note)s）") % {"text": text, "note": note}
