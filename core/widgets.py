"""Form widgets every app shares.

``DateInput`` is the one date widget of the portal's own forms. A browser's
``<input type="date">`` accepts only an ISO ``YYYY-MM-DD`` value and shows it in the
user's own locale; Django's default ``DateInput`` formats the value with the active
language's first ``DATE_INPUT_FORMATS`` entry (``2026/12/02`` in Chinese), which the
browser rejects as empty, so a pre-filled date silently vanished and the form could not
be submitted. Parsing still accepts every localised format (the field's job, not the
widget's).
"""

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):
        # The format is fixed, whatever the language: the browser's date input wants ISO.
        super().__init__(attrs, format=ISO_DATE)
