"""``--score-setting [SCORE.]NAME=VALUE``: a build's score settings, checked without torch.

Each score's descriptor declares its settings (:class:`~naswot_db.core.scores.ScoreSetting`);
this module turns what a user gives into one typed keyword dict per score of the build, or one
error line.  ``synflow.log_compress=true`` sets one score's setting; ``nan_sentinel=-1e8`` (no
score) sets it for every score of the build that has it, and a score-qualified value of the same
setting wins over it.  Settings equal to their default are kept as given: the scorer's
``settings()`` (hence the config id) is the same with or without them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.scores import (
    ScoreSetting, canonical_score, score_info, score_names, suite_zero_names,
)

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_NONE = ("none", "null")

# a resolved build's settings: score -> {setting: value}, only scores with a setting given
Resolved = dict[str, dict[str, Any]]


class ScoreSettingError(NaswotDbError):
    """A score setting no build can take: unknown score or setting, or a bad value."""


def parse_value(setting: ScoreSetting, value: Any, where: str) -> Any:
    """``value`` (a command-line string or a Python value) as ``setting``'s type."""
    if value is None or isinstance(value, str) and value.strip().lower() in _NONE:
        if setting.default is None:
            return None
        raise ScoreSettingError(f"{where}: {setting.name} cannot be none "
                                f"(default {setting.default!r})")
    if isinstance(value, str):
        return _parse_text(setting, value.strip(), where)
    if setting.kind is bool and isinstance(value, bool):
        return value
    if setting.kind is not bool and isinstance(value, (int, float)) and not isinstance(value, bool):
        if setting.kind is int and value != int(value):
            raise ScoreSettingError(f"{where}: {setting.name} takes an integer, got {value!r}")
        return _finite(setting, setting.kind(value), where)
    raise ScoreSettingError(f"{where}: {setting.name} takes a {setting.kind.__name__}, "
                            f"got {value!r}")


def _parse_text(setting: ScoreSetting, text: str, where: str) -> Any:
    if setting.kind is bool:
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ScoreSettingError(f"{where}: {setting.name} takes true or false, got {text!r}")
    try:
        return _finite(setting, setting.kind(text), where)
    except ValueError:
        raise ScoreSettingError(f"{where}: {setting.name} takes a{'n' if setting.kind is int else ''}"
                                f" {setting.kind.__name__}, got {text!r}") from None


def _finite(setting: ScoreSetting, value: float, where: str) -> float:
    if not math.isfinite(value):
        raise ScoreSettingError(f"{where}: {setting.name} must be finite, got {value!r}")
    return value


def split_assignment(text: str) -> tuple[str | None, str, str]:
    """``"synflow.log_compress=true"`` -> ("synflow", "log_compress", "true"); no score: None."""
    target, sep, value = text.partition("=")
    if not sep or not target.strip():
        raise ScoreSettingError(f"invalid --score-setting {text!r}: expected [SCORE.]NAME=VALUE, "
                                "e.g. synflow.log_compress=true or nan_sentinel=-1e8")
    score, dot, name = target.strip().rpartition(".")
    return (score if dot else None), name.strip(), value


def resolve_settings(given: Sequence[str] | Mapping[str, Mapping[str, Any]],
                     scores: Sequence[str]) -> Resolved:
    """Per score of ``scores`` (canonical names), the typed settings ``given`` sets.

    ``given``: assignments as ``--score-setting`` takes them, or a resolved mapping (score ->
    {setting: value}, as this function returns).  Raises :class:`ScoreSettingError` for a score
    not in the build, a setting its score does not have (or, unqualified, that no score of the
    build has), one setting given twice, or a bad value.
    """
    items = _items(given)
    resolved: Resolved = {}
    seen: set[tuple[str | None, str]] = set()
    # unqualified settings first, so a score-qualified value of the same setting wins
    for score, name, value in sorted(items, key=lambda item: item[0] is not None):
        if (score, name) in seen:
            raise ScoreSettingError(f"score setting {_label(score, name)} is given twice")
        seen.add((score, name))
        targets = list(scores) if score is None else [_build_score(score, scores, name)]
        having = [(target, setting) for target in targets
                  for setting in _settings_of(target) if setting.name == name]
        if not having:
            raise ScoreSettingError(_unknown(score, name, targets))
        for target, setting in having:
            resolved.setdefault(target, {})[name] = parse_value(
                setting, value, f"score setting {_label(score and target, name)}")
    return resolved


def _settings_of(score: str) -> tuple[ScoreSetting, ...]:
    """The settings score ``score`` declares (a plug-in not loaded yet declares none)."""
    info = score_info(score)
    return () if info is None else info.settings


def _items(given: Sequence[str] | Mapping[str, Mapping[str, Any]]
           ) -> list[tuple[str | None, str, Any]]:
    if isinstance(given, Mapping):
        return [(score, name, value) for score, values in given.items()
                for name, value in values.items()]
    if isinstance(given, str):
        raise ScoreSettingError(f"score settings must be a list of [SCORE.]NAME=VALUE, "
                                f"got the string {given!r}")
    return [split_assignment(text) for text in given]


def _build_score(score: str, scores: Sequence[str], name: str) -> str:
    """The canonical name of ``score``, which must be one of the build's ``scores``."""
    canonical = canonical_score(score)
    if canonical not in scores:
        raise ScoreSettingError(f"score setting {canonical}.{name}: {canonical} is not a score "
                                f"of this build ({', '.join(scores)})")
    return canonical


def _label(score: str | None, name: str) -> str:
    return name if score is None else f"{score}.{name}"


def _unknown(score: str | None, name: str, targets: Iterable[str]) -> str:
    known = sorted({setting.name for target in targets for setting in _settings_of(target)})
    if score is not None:
        return (f"score {score} has no setting {name!r}; "
                f"{'its settings: ' + ', '.join(known) if known else 'it has no settings'}")
    return (f"no score of this build has setting {name!r}; theirs: "
            f"{', '.join(known) if known else 'none'}")


def settings_listing() -> list[tuple[ScoreSetting, list[str]]]:
    """Every distinct setting of the catalogue with the scores that have it, in catalogue order
    (for --help and the README)."""
    listing: dict[ScoreSetting, list[str]] = {}
    for score in score_names():
        for setting in _settings_of(score):
            listing.setdefault(setting, []).append(score)
    return list(listing.items())


def scores_phrase(scores: Sequence[str]) -> str:
    """How listings name the scores having one setting: ``every Suite-Zero proxy`` or a list."""
    if sorted(scores) == sorted(suite_zero_names()):
        return "every Suite-Zero proxy"
    return ", ".join(scores)
