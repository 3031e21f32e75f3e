"""Names: close-match suggestions and the "did you mean" tail of unknown-name messages;
what makes a valid plugin or stage name, and text made safe to print; import by name
(``module`` or ``module:qual.name``) and its reverse.

Shared by the kernel (plugin names, plugins given as objects, worker recipes) and the engine
(stage ids, stage functions and typed keys found again in a worker), so one wording, one
matching rule and one naming scheme serve them all.
"""

from __future__ import annotations

import difflib
import importlib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

__all__ = [
    "SEPARATOR",
    "did_you_mean",
    "import_name",
    "import_object",
    "name_problem",
    "printable",
    "quote_key",
    "suggest",
]

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


#: Unicode categories that do not print as themselves: controls (newline, ESC), format
#: characters (bidirectional overrides that reorder a line), line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a plugin or a stage (None when it can): it must be a
    non-empty string without surrounding spaces and without control characters, so that a
    name cannot fake a line of output (``"ok\\nsucceeded  other"``) or colour a terminal."""
    if not isinstance(name, str) or not name:
        return "it must be a non-empty string"
    if name != name.strip():
        return "it must not start or end with whitespace"
    if any(unicodedata.category(c) in _UNPRINTABLE for c in name):
        return "it must not hold control characters"
    return None


def printable(text: str) -> str:
    """``text`` with every control or format character escaped (``\\n``, ``\\x1b``,
    ``\\u202e``): what a plugin wrote (a reason, a description) is shown, never obeyed."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        if c == " " or unicodedata.category(c) not in _UNPRINTABLE:
            out.append(c)
        else:
            out.append(c.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def quote_key(key: str) -> str:
    """A key as a TOML key path needs it: bare when it can be, else quoted
    (``stages."disk::format".retries``)."""
    return key if key.replace("-", "").replace("_", "").isalnum() else f'"{key}"'


def import_object(spec: str) -> Any:
    """Import ``module`` or ``module:qual.name`` and return the object it names."""
    module, _, qualname = spec.partition(":")
    target: Any = importlib.import_module(module.strip())
    for part in filter(None, qualname.strip().split(".")):
        target = getattr(target, part)
    return target


def import_name(obj: object, unwrap: Callable[[Any], Any] | None = None) -> str | None:
    """The ``module`` or ``module:qualname`` that :func:`import_object` turns back into
    ``obj`` itself, or None (closures, lambdas, ``__main__``, anything not importable).

    A class or function names itself; an instance is looked up among its module's names.
    ``unwrap`` maps what the name holds to what is compared (a ``@stage`` decorator leaves
    a Stage under the name of the function it wraps).
    """
    if isinstance(obj, ModuleType):
        return obj.__name__ if obj.__name__ != "__main__" else None
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or module == "__main__":
        return None
    local = not isinstance(qualname, str) or "<locals>" in qualname or "<lambda>" in qualname
    try:
        imported = importlib.import_module(module)
    except Exception:
        return None
    candidates = [] if local else [str(qualname)]
    candidates += [n for n, v in vars(imported).items() if v is obj and n not in candidates]
    for candidate in candidates:
        target: Any = imported
        for part in candidate.split("."):
            target = getattr(target, part, None)
        if unwrap is not None:
            target = unwrap(target)
        if target is obj:
            return f"{module}:{candidate}"
    return None
