"""Read NASLib's zero-cost benchmark files (NAS-Bench-Suite-Zero's ``zc_<space>.json``).

Layout (REFERENCE-FACTS section 7): ``{dataset: {str(arch_hash): {proxy: {"score": s, "time":
t}, ..., "val_accuracy": a}}}``; some versions add scalar fields per entry (``idx``, ``arch``),
which are ignored.  The space is told by the keys, each space's encoding reading its own
(:mod:`naswot_db.core.spaces`): NASLib's NB201 op-index 6-tuples (or NATS arch strings),
NB101's 56-number raw specs; NB301's nested tuples are refused, as naswot-db holds no NB301
space.  Every value is checked before anything is returned: a finite number, or
Suite-Zero's failure sentinel (``ZeroCost.query`` turns a NaN or infinite proxy into -1e8, and
log-compresses synflow afterwards, so synflow's sentinel is -log(1e8)).  The JSON is parsed with
the standard library and nothing in it is evaluated.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.naslib_keys import NaslibKeyError
from naswot_db.core.names import score_datasets
from naswot_db.core.spaces import space_encoding, space_info, space_names
from naswot_db.core.scores import score_info, score_names

SENTINEL = -1e8
# ZeroCost.query log-compresses synflow after replacing a failure by -1e8
_SENTINELS = {"synflow": -math.log(1e8)}
ACCURACY_FIELD = "val_accuracy"


class ZcFileError(NaswotDbError):
    """A file that is not a NASLib zero-cost benchmark naswot-db can store."""


@dataclass(frozen=True)
class ZcValue:
    """One published proxy value: ``arch`` is the space's ``arch_str`` (NB201's arch string,
    NB101's module hash of the pruned cell); ``sentinel``: Suite-Zero's failure value."""

    dataset: str
    key: str
    arch: str
    score: str
    value: float
    time_s: float
    sentinel: bool


@dataclass(frozen=True)
class ZcFile:
    """A whole validated file: its space, digest and every value in file order."""

    path: Path
    sha256: str
    size: int
    space: str
    values: list[ZcValue]

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(v.dataset for v in self.values))

    @property
    def scores(self) -> list[str]:
        return list(dict.fromkeys(v.score for v in self.values))


def _refuse_constant(name: str):
    raise ZcFileError(f"holds {name}, which is not a JSON number")


def naslib_scores() -> dict[str, str]:
    """Proxy key -> naswot-db score: NASLib's names (a score of that very name first: ``nwot``
    is NASLib's NASWOT, not our reference ``naswot``), and every score's own name (the key our
    export gives a score whose NASLib name another score holds)."""
    found: dict[str, str] = {}
    for name in score_names():
        naslib_name = score_info(name).naslib_name
        if naslib_name is not None and (naslib_name not in found or name == naslib_name):
            found[naslib_name] = name
    return {**{name: name for name in score_names()}, **found}


def _naslib_spaces() -> list[str]:
    """The spaces owning ground truth whose encoding reads NASLib keys (their descriptors')."""
    return [name for name in space_names()
            if not space_info(name).ground_truth and (encoding := space_encoding(name))
            is not None and encoding.naslib_arch is not None]


def _key_arch(key: str) -> tuple[str, str]:
    """(space, arch_str) of one NASLib key: the first space whose encoding reads it."""
    if key.replace(" ", "").startswith("(("):
        raise ZcFileError(f"key {key[:40]!r} is NASLib's NB301 (DARTS) encoding; naswot-db has "
                          "no NB301 space (its DARTS networks are the NDS spaces), so it cannot "
                          "store these values")
    spaces = _naslib_spaces()
    for space in spaces:
        try:
            arch = space_encoding(space).naslib_arch(key)
        except NaslibKeyError as exc:
            raise ZcFileError(f"key {key[:60]!r}: {exc}") from None
        if arch is not None:
            return space, arch
    raise ZcFileError(f"key {key[:60]!r} is not a NASLib key of any space naswot-db reads them "
                      f"for ({', '.join(spaces)})")


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ZcFileError(f"{what} is {json.dumps(value)[:40]}, not a number")
    return float(value)


def _proxy_values(dataset: str, key: str, arch: str, entry: dict,
                  known: dict[str, str]) -> Iterator[ZcValue]:
    for field, content in entry.items():
        if field == ACCURACY_FIELD:
            if not math.isfinite(_number(content, f"{dataset} {key} {field}")):
                raise ZcFileError(f"{dataset} {key} {field} is not finite")
            continue
        if not isinstance(content, dict):
            continue  # NASLib's bookkeeping fields (idx, arch)
        if field not in known:
            raise ZcFileError(f"proxy {field!r} ({dataset} {key}) is not a score naswot-db "
                              f"knows; NASLib names it knows: {', '.join(sorted(known))}")
        where = f"{dataset} {key} {field}"
        if "score" not in content:
            raise ZcFileError(f"{where} has no \"score\"")
        value = _number(content["score"], f"{where} score")
        score = known[field]
        sentinel = value == SENTINEL or (field in _SENTINELS
                                         and math.isclose(value, _SENTINELS[field], rel_tol=1e-12))
        if not math.isfinite(value):
            raise ZcFileError(f"{where} score is not finite")
        time_s = _number(content.get("time", math.nan), f"{where} time")
        if not math.isnan(time_s) and not (math.isfinite(time_s) and time_s >= 0):
            raise ZcFileError(f"{where} time {time_s} is not a duration in seconds")
        yield ZcValue(dataset, key, arch, score, value, time_s, sentinel)


def read_zc_file(path: Path) -> ZcFile:
    """Read and validate ``path`` whole; raise :class:`ZcFileError` naming the first problem."""
    path = Path(path)
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise ZcFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(payload, parse_constant=_refuse_constant)
    except ZcFileError as exc:
        raise ZcFileError(f"{path} {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ZcFileError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        raise ZcFileError(f"{path} is not a NASLib zero-cost file: expected "
                          "{dataset: {arch key: {proxy: {\"score\": ..., \"time\": ...}}}}")
    known = naslib_scores()
    spaces: set[str] = set()
    values: list[ZcValue] = []
    try:
        for dataset, entries in data.items():
            for key, entry in entries.items():
                if not isinstance(entry, dict):
                    raise ZcFileError(f"{dataset} {key[:60]}: an entry must be an object")
                space, arch = _key_arch(key)
                spaces.add(space)
                values.extend(_proxy_values(dataset, key, arch, entry, known))
        if len(spaces) > 1:
            raise ZcFileError("its keys mix NB201 and NB101 archs")
        space = spaces.pop() if spaces else None
        if space is None or not values:
            raise ZcFileError("holds no proxy values")
        unknown = [d for d in data if d not in score_datasets(space)]
        if unknown:
            raise ZcFileError(f"dataset {unknown[0]!r} is not one {space} is scored on "
                              f"({', '.join(score_datasets(space))})")
    except ZcFileError as exc:
        raise ZcFileError(f"{path}: {exc}") from None
    return ZcFile(path, hashlib.sha256(payload).hexdigest(), len(payload), space, values)
