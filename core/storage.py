"""Static files in production: whitenoise's compressed manifest storage, with each URL computed once.

``{% static %}`` asks the storage for a file's URL on every use: seven times on every page of the portal's
shell (styles, scripts, icons), more on the admin's. With the manifest the answer never changes while the
process lives (the manifest is read at start-up and the files are immutable under their hashed names), yet
each call cleans the name, looks it up, joins and quotes the URL again. Here the URL of a name is kept after its
first computation; a name missing from the manifest still raises as whitenoise's storage does (nothing is kept).
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url
