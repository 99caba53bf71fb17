"""Form pieces every app shares."""


class RequiredNumbersMixin:
    """Model forms of counts whose model default is 0 (attendees, households...): on an add form
    the field starts empty and is required, so a count nobody typed is an error instead of a
    silent 0. List them in ``required_numbers``."""

    required_numbers = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.required_numbers:
            if name in self.fields:
                self.fields[name].required = True
                if self.instance.pk is None:  # the instance and the model field both carry the default
                    self.initial.pop(name, None)
                    self.fields[name].initial = None
