"""Stage values as the history stores them: JSON when it round-trips exactly, else pickled.

JSON keeps a value readable by anything (the report, ``runs show --json``, other tools), but
only when reading it back gives the very same value: a tuple would come back a list, an int
key a string, a ``dict`` subclass a ``dict``, so those are pickled instead (the database is
private to the user, and only its owner's own runs wrote it). A value that neither can store
(a lambda, a lock, a self-referential structure deeper than the recursion limit, a hostile
``__reduce__`` or ``__repr__``, more than :data:`MAX_VALUE_BYTES`) is recorded as not stored,
with the reason: plugin values are untrusted, and recording one must never break the run.
"""

from __future__ import annotations

import json
import pickle
from typing import Any, Final

import attrs

from gini_host.bounded import BoundedCaller
from gini_host.shown import safe_repr
from gini_host.stages.results import ErrorInfo

__all__ = [
    "ENCODE_LIMIT",
    "MAX_VALUE_BYTES",
    "StoredValue",
    "ValueNotRestorable",
    "decode",
    "encode",
    "encode_untrusted",
]

#: Larger values are not stored (a stage that returns a 1 GB array would bloat the history
#: and slow every later read); the note says how large it was.
MAX_VALUE_BYTES: Final = 16 * 1024 * 1024
#: Length of the ``value_repr`` shown for values that are not JSON.
REPR_LIMIT: Final = 300
#: Seconds encoding one value (its ``__reduce__``, ``__repr__``: plugin code) may take before
#: it is abandoned and the value recorded as not stored. Below the writer's 10 s close limit,
#: so one hanging value costs the history that value, not the whole run's record.
ENCODE_LIMIT: Final = 5.0
#: Types whose values encode without calling any method a plugin could have written.
_INERT: Final = (type(None), str, int, bool, float)

JSON: Final = "json"
PICKLE: Final = "pickle"
NOT_STORED: Final = "none"


class ValueNotRestorable(Exception):
    """A stored value could not be read back (a pickled class that no longer imports)."""


@attrs.frozen(slots=True)
class StoredValue:
    """How one value is stored: ``kind`` (``json``, ``pickle`` or ``none``), the ``data``
    (JSON text or pickle bytes), a bounded ``repr`` for values that are not JSON, and the
    ``note`` saying why a value is not stored."""

    kind: str
    data: str | bytes | None = None
    repr: str | None = None
    note: str | None = None

    @property
    def stored(self) -> bool:
        return self.kind != NOT_STORED


def _same(a: Any, b: Any) -> bool:
    """Whether ``b`` (read back from JSON) is exactly ``a``: same types all the way down."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


#: Types whose JSON text always reads back as the same value (floats: when finite).
_PLAIN = (str, int, bool)


def _as_json(value: Any) -> str | None:
    if value is None:
        return "null"  # the common case, without a round trip
    kind = type(value)
    if kind in _PLAIN or (kind is float and value - value == 0):
        try:
            text = json.dumps(value, ensure_ascii=False)
        except ValueError:  # an int beyond int -> str conversion's limit
            return None
        return text if len(text) <= MAX_VALUE_BYTES else None
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        if len(text) > MAX_VALUE_BYTES:
            return None
        return text if _same(value, json.loads(text)) else None
    except (TypeError, ValueError, RecursionError):
        return None


def encode(value: Any) -> StoredValue:
    """Store ``value`` as JSON when it round-trips exactly, else pickled, else not at all
    (with the reason). Never raises, whatever the value does."""
    try:
        text = _as_json(value)
    except BaseException:  # a hostile __eq__ or __iter__ met on the way
        text = None
    if text is not None:
        return StoredValue(JSON, text)
    shown = safe_repr(value, REPR_LIMIT)
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:
        return StoredValue(NOT_STORED, None, shown, f"cannot be pickled: {ErrorInfo.describe(exc)}")
    if len(data) > MAX_VALUE_BYTES:
        note = f"too large to store ({len(data):,} bytes pickled, limit {MAX_VALUE_BYTES:,})"
        return StoredValue(NOT_STORED, None, shown, note)
    return StoredValue(PICKLE, data, shown)


def encode_untrusted(value: Any, label: str) -> StoredValue:
    """:func:`encode` for a value a stage returned, run as plugin code: what its methods print
    goes to stderr as ``[label] ...`` (the history writes after the run's JSON document, which
    must stay alone on stdout), and past :data:`ENCODE_LIMIT` the value is noted as not stored
    while the stuck call is abandoned on its daemon thread. Plain scalars, which call no
    plugin method, are encoded at once."""
    if type(value) in _INERT:
        return encode(value)
    outcome = _encoder.call(lambda: encode(value), ENCODE_LIMIT, label)
    if outcome.finished and outcome.value is not None:
        return outcome.value
    note = f"encoding it took longer than {ENCODE_LIMIT:g}s and was abandoned"
    return StoredValue(NOT_STORED, None, "<not shown: its encoding never ended>", note)


_encoder = BoundedCaller("gini-host history values")


def decode(kind: str, data: str | bytes | None) -> Any:
    """The value stored as ``kind``; :class:`ValueNotRestorable` when it cannot be read."""
    if kind == JSON and isinstance(data, str):
        return json.loads(data)
    if kind == PICKLE and isinstance(data, bytes):
        try:
            return pickle.loads(data)
        except BaseException as exc:
            raise ValueNotRestorable(f"cannot be unpickled: {ErrorInfo.describe(exc)}") from None
    raise ValueNotRestorable("was not stored")
