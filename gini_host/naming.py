"""Names: close-match suggestions and the "did you mean" tail of unknown-name messages.

Shared by the kernel (plugin names) and the engine (stage ids), so one wording and one
matching rule serve every unknown-name message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = ["SEPARATOR", "did_you_mean", "suggest"]

#: Between the plugin and the name in a stage id: ``disk::format``.
SEPARATOR = "::"

_CUTOFF = 0.6


def _likeness(wanted: str, candidate: str) -> float:
    # Plugin and name parts are compared apart: on whole ids the shared ``disk::`` prefix alone
    # made every stage of plugin ``disk`` a "close match" for a typo such as ``disk::formta``.
    if SEPARATOR in wanted and SEPARATOR in candidate:
        w_plugin, _, w_name = wanted.partition(SEPARATOR)
        c_plugin, _, c_name = candidate.partition(SEPARATOR)
        return min(_likeness(w_plugin, c_plugin), _likeness(w_name, c_name))
    matcher = difflib.SequenceMatcher(None, wanted, candidate)
    # The quick upper bounds first, as difflib.get_close_matches does: most ids are far off.
    if matcher.real_quick_ratio() < _CUTOFF or matcher.quick_ratio() < _CUTOFF:
        return 0.0
    return matcher.ratio()


def suggest(wanted: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Close matches for an unknown id; a bare name also matches the name part of ``p::name``."""
    known = list(known)
    scored = [(score, k) for k in known if (score := _likeness(wanted, k)) >= _CUTOFF]
    scored.sort(key=lambda pair: -pair[0])  # stable: equal scores keep the known order
    matches = [k for _, k in scored[:n]]
    if SEPARATOR not in wanted:
        by_name = [k for k in known if k.split(SEPARATOR)[-1] == wanted]
        matches = by_name + [m for m in matches if m not in by_name]
    return matches[:n]


def did_you_mean(suggestions: Sequence[str]) -> str:
    """The tail of every unknown-name message: ``"; did you mean 'a', 'b' or 'c'?"``, or ``""``."""
    if not suggestions:
        return ""
    quoted = [repr(s) for s in suggestions]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"; did you mean {listed}?"
