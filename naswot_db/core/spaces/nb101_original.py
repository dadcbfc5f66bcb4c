"""NAS-Bench-101's archs built as the benchmark's own 128-channel, 10-class network: NB101's
ground truth, encoding, searches and NASLib keys, other networks."""

from dataclasses import replace

from naswot_db.core.spaces import describe
from naswot_db.core.spaces.nb101 import INFO as NB101

INFO = describe(replace(
    NB101,
    name="nb101-original",
    implementation="naswot_db.builder.spaces.nb101:original_nb101_space",
    help="nb101-original",
    ground_truth=NB101.name,
    measured_s_per_arch=None,  # NB101's figure is for NASWOT's own, far smaller network
))
