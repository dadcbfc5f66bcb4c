"""NAS-Bench-101: 423,624 cells (arch string = module hash), scored as NASWOT's network."""

from naswot_db.core.encodings import Encoding, nb101
from naswot_db.core.naslib_keys import nb101_arch_of_key, nb101_key
from naswot_db.core.spaces import SpaceInfo, describe

INFO = describe(SpaceInfo(
    name="nb101",
    citation="Ying et al., NAS-Bench-101: Towards Reproducible Neural Architecture Search, "
             "ICML 2019",
    implementation="naswot_db.builder.spaces.nb101:NB101Space",
    datasets=("cifar10",),
    help="nb101",
    encoding=Encoding(parse=nb101.parse_cell, format=nb101.format_cell, mutation=nb101.mutation,
                      naslib_key=lambda _arch_str, encoding: (
                          None if encoding is None else nb101_key(encoding)),
                      naslib_arch=nb101_arch_of_key),
    default_fitness="cifar10:valid@108",
    eval_times=False,  # NAS-Bench-101 stores training times only
    ingest_source="nasbench_only108.tfrecord",
    naslib_file="zc_nasbench101.json",
    tasks=(("cifar10", ("cifar10", "valid"), ("cifar10", "test")),),
))
