"""NAS-Bench-101: 423,624 cells (arch string = module hash), scored as NASWOT's network."""

from naswot_db.core.scores import GLOBAL_POOL
from naswot_db.core.spaces import SpaceInfo, describe

INFO = describe(SpaceInfo(
    name="nb101",
    arch_count=423_624,
    # measured: 5,000 uniform NASWOT cells (batch 128) in 1,681.7 s on 2 workers (a 2-core VM,
    # bench/nb101_sample_build.sh, the README's NB101 study)
    measured_s_per_arch=0.34,
    citation="Ying et al., NAS-Bench-101: Towards Reproducible Neural Architecture Search, "
             "ICML 2019",
    implementation="naswot_db.builder.spaces.nb101:NB101Space",
    datasets=("cifar10",),
    help="nb101",
    encoding="naswot_db.core.encodings.nb101:ENCODING",
    default_fitness="cifar10:valid@108",
    eval_times=False,  # NAS-Bench-101 stores training times only
    ingest_source="nasbench_only108.tfrecord",
    naslib_file="zc_nasbench101.json",
    tasks=(("cifar10", ("cifar10", "valid"), ("cifar10", "test")),),
    network_lacks=((GLOBAL_POOL, ("its network pools with torch.mean over the feature map, "
                                  "not an nn.AdaptiveAvgPool2d module")),),
))
