"""The Network Design Spaces (Radosavovic et al., ICCV 2019) as NASWOT scores them.

``make_nds_space("nds-darts", root)`` gives one space; ``ingest_nds(source)`` reads every NDS
file of a directory (or one file) into per-space ground truth.
"""

from .files import ingest_nds
from .space import NDSSpace, build_network, make_nds_space

__all__ = ["NDSSpace", "build_network", "ingest_nds", "make_nds_space"]
