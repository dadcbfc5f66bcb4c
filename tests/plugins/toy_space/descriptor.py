"""The toy space's descriptor and encoding: three conv layers, each 4, 8 or 16 channels wide
(27 archs, arch string ``4:8:16``), mutated by changing one layer to another width."""

from naswot_db.core.encodings import Encoding, EncodingError
from naswot_db.core.encodings.digits import digit_mutation
from naswot_db.core.scores import GLOBAL_POOL
from naswot_db.core.spaces import SpaceInfo

WIDTHS = (4, 8, 16)
LAYERS = 3


def parse(arch_str: str) -> tuple[int, ...]:
    parts = arch_str.split(":")
    if len(parts) != LAYERS or not all(p.isdigit() and int(p) in WIDTHS for p in parts):
        raise EncodingError(f"{arch_str!r} is not a toy arch string")
    return tuple(int(p) for p in parts)


def format_widths(widths: tuple[int, ...]) -> str:
    return ":".join(str(width) for width in widths)


def digits(arch_str: str) -> list[int]:
    return [WIDTHS.index(width) for width in parse(arch_str)]


ENCODING = Encoding(parse=parse, format=format_widths,
                    mutation=digit_mutation(digits, LAYERS, len(WIDTHS), different=True),
                    naslib_key=lambda arch_str, _encoding: str(parse(arch_str)))

INFO = SpaceInfo(
    name="toy",
    citation="a test plug-in space",
    implementation="toy_space.space:ToySpace",
    datasets=("cifar10",),
    help="toy (a test plug-in)",
    encoding="toy_space.descriptor:ENCODING",
    default_fitness="cifar10:valid@10",
    eval_times=False,
    ingest_source="toy.csv",
    naslib_file="zc_toy.json",
    tasks=(("cifar10", ("cifar10", "valid"), ("cifar10", "test")),),
    network_lacks=((GLOBAL_POOL, ("its network pools with Tensor.mean, not an "
                                  "nn.AdaptiveAvgPool2d module")),),
)
