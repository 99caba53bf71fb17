"""Chinese input formats with ISO first (everything else falls back to Django's zh_Hans).

The first entry of DATE_INPUT_FORMATS is the one Django *renders* a date input's value
with. Django's Chinese default is ``%Y/%m/%d``, which an ``<input type="date">`` rejects
(it shows an empty box and blocks the submit) and which the admin's text date inputs then
send back in a format different from the rest of the portal. ISO first means every date
input, portal or admin, shows ``2026-12-02`` in every language; the Chinese spellings are
still accepted when typed.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%n月%j日"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%Y年%n月%j日 %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%n月%j日 %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
]
