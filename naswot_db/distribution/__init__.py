"""The database travels: ``pack`` a root into one checksummed archive, ``fetch`` one into a
root, and ``exports`` of the scores in the layouts NASLib and Syne Tune read.

Modules: :mod:`.archive` (layout, manifest, checks of a received archive), :mod:`.pack`,
:mod:`.download` (HTTP with resume), :mod:`.merge` (into a root), :mod:`.fetch` (download, verify,
merge), :mod:`.exports`.  Nothing here imports torch.
"""
