"""Exports of a root's scores for other tools: NASLib's zero-cost benchmark files, Syne Tune
blackboxes, and the ``scored`` view as CSV or Parquet (one file per space).

Each format is one descriptor in :mod:`.formats` (its name, help and writer); each writer takes
an open query connection and an output folder and returns the paths it wrote; everything it
writes appears atomically (temporary name, then rename).
"""
