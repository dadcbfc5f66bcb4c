"""NATS-Bench's size space: 8^5 = 32,768 channel configurations of one fixed cell."""

from naswot_db.core.spaces import SpaceInfo, describe
from naswot_db.core.spaces.nb201 import NB201_TASKS

INFO = describe(SpaceInfo(
    name="nats-sss",
    arch_count=32_768,
    citation="Dong et al., NATS-Bench: Benchmarking NAS Algorithms for Architecture Topology "
             "and Size, TPAMI 2021",
    implementation="naswot_db.builder.spaces.nats_sss:NATSSizeSpace",
    datasets=("cifar10", "cifar100", "ImageNet16-120"),
    help="nats-sss",
    encoding="naswot_db.core.encodings.nats_sss:ENCODING",
    default_fitness="cifar10-valid:x-valid@12",
    ingest_source="NATS-sss-v1_0-50262-simple",
    tasks=NB201_TASKS,  # the same datasets and splits as the topology space
))
