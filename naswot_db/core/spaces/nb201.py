"""NAS-Bench-201 (NATS-Bench's topology space, ``nats-tss``): 15,625 cells of five operations."""

from naswot_db.core.spaces import SpaceInfo, describe

# NB201's validation column on CIFAR-10 is the train/valid split run, as NASLib's val_accuracy is
NB201_TASKS = (
    ("cifar10", ("cifar10-valid", "x-valid"), ("cifar10", "ori-test")),
    ("cifar100", ("cifar100", "x-valid"), ("cifar100", "x-test")),
    ("ImageNet16-120", ("ImageNet16-120", "x-valid"), ("ImageNet16-120", "x-test")),
)

INFO = describe(SpaceInfo(
    name="nb201",
    arch_count=15_625,
    # measured: the shipped NB201 build, 15,625 archs in 4,827 s on 2 workers (a 2-core VM)
    measured_s_per_arch=0.31,
    aliases=("nats-tss",),  # NATS-Bench's topology search space is NAS-Bench-201
    citation="Dong & Yang, NAS-Bench-201, ICLR 2020; Dong et al., NATS-Bench, TPAMI 2021",
    implementation="naswot_db.builder.spaces.nb201:NB201Space",
    datasets=("cifar10", "cifar100", "ImageNet16-120"),
    help="nb201 (alias nats-tss)",
    encoding="naswot_db.core.encodings.nb201:ENCODING",
    default_fitness="cifar10-valid:x-valid@12",
    ingest_source="NATS-tss-v1_0-3ffb9-simple",
    naslib_file="zc_nasbench201.json",
    tasks=NB201_TASKS,
))
