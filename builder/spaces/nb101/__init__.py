"""NAS-Bench-101: the space (arch list, models, ground truth), its cell graphs and its ingest."""

from .space import ORIGINAL_CONFIG, NB101Space, original_nb101_space

__all__ = ["ORIGINAL_CONFIG", "NB101Space", "original_nb101_space"]
