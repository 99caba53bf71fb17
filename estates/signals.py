"""What the registry announces, so that the apps built on it follow without the registry knowing them
(.importlinter: the registry knows no campaign).

``registry_imported`` is sent by the Excel import of firms and estates (estates/importers.py) after it saved
its rows with bulk statements, which send no ``post_save``: once per import, inside the import's
transaction, so a receiver's writes are saved with the rows or not at all. Keyword arguments:

* ``sender``: the model imported (``Estate`` or ``PropertyFirm``);
* ``created``, ``updated``: the instances created and updated;
* ``moved``: the updated instances whose location changed (a firm's supervising district, an estate's
  district or street): the records that follow them must move too.

The three are sequences (``len``, iteration, indexing) that build each instance when it is read, from
the import's compact records: 20,000 created estates are not 20,000 model instances in memory unless a
receiver reads them all.

campaigns/signals.py receives it (moves the obligations of ``moved``, creates the obligations that now
apply). Single saves send Django's own ``post_save``.
"""

from django.dispatch import Signal

registry_imported = Signal()
