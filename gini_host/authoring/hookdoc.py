"""Generate ``docs/hooks.md``, the hook reference, from the hookspec docstrings.

Run ``python -m gini_host.authoring.hookdoc > docs/hooks.md``;
``tests/docs/test_hooks_doc.py`` fails when a hookspec is undocumented or the page is stale.
:func:`problems` is what that test
checks: a summary line, one ``:param:`` per argument and none for arguments that do not exist.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

import attrs

from gini_host.kernel import hookspecs
from gini_host.markers import PROJECT_NAME

__all__ = ["HookDoc", "main", "parse", "problems", "render"]

_FIELD = re.compile(r"^:(?P<kind>param|return|returns)(?:\s+(?P<name>\w+))?:\s*(?P<text>.*)$")
_ROLE = re.compile(r":(?:class|func|data|meth|mod|attr|exc):`~?(?P<target>[^`]+)`")


@attrs.frozen(slots=True)
class HookDoc:
    """One hookspec, read: its signature, options and the parts of its docstring."""

    name: str
    signature: str
    argnames: tuple[str, ...]
    firstresult: bool
    historic: bool
    summary: str
    body: tuple[str, ...]
    params: dict[str, str]
    returns: str
    notes: tuple[str, ...]


def _spec_functions() -> list[Callable[..., Any]]:
    marker = f"{PROJECT_NAME}_spec"
    return [
        value
        for _, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, marker)
    ]


def _markdown(text: str) -> str:
    """reST inline markup to Markdown: roles and double backticks become code."""
    text = _ROLE.sub(lambda m: f"`{m['target']}`", text)
    return text.replace("``", "`")


def _paragraphs(lines: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(_markdown(" ".join(current)))
            current = []
    return tuple(out)


def parse(function: Callable[..., Any]) -> HookDoc:
    """Read one hookspec function."""
    opts = getattr(function, f"{PROJECT_NAME}_spec", {})
    signature = inspect.signature(function)
    lines = (inspect.getdoc(function) or "").splitlines()
    summary = lines[0].strip() if lines else ""
    body: list[str] = []
    notes: list[str] = []
    params: dict[str, str] = {}
    returns = ""
    field: tuple[str, str] | None = None
    after_fields = False
    for line in lines[1:]:
        match = _FIELD.match(line.strip())
        if match:
            kind, name = match["kind"], match["name"] or ""
            field = (kind, name)
            text = match["text"].strip()
            if kind == "param":
                params[name] = text
            else:
                returns = text
            after_fields = True
            continue
        if field is not None and line.startswith((" ", "\t")) and line.strip():
            kind, name = field
            if kind == "param":
                params[name] += " " + line.strip()
            else:
                returns += " " + line.strip()
            continue
        field = None
        (notes if after_fields else body).append(line)
    return HookDoc(
        name=function.__name__,
        signature=f"def {function.__name__}{signature}".replace("'", ""),
        argnames=tuple(signature.parameters),
        firstresult=bool(opts.get("firstresult")),
        historic=bool(opts.get("historic")),
        summary=_markdown(summary),
        body=_paragraphs(body),
        params={k: _markdown(v) for k, v in params.items()},
        returns=_markdown(returns),
        notes=_paragraphs(notes),
    )


def problems() -> list[str]:
    """What keeps the reference from being complete; empty when every hook is documented."""
    found: list[str] = []
    docs = [parse(f) for f in _spec_functions()]
    names = [d.name for d in docs]
    for name in sorted(set(hookspecs.HOOK_NAMES) ^ set(names)):
        where = "HOOK_NAMES" if name in hookspecs.HOOK_NAMES else "the hookspecs"
        found.append(f"{name} is only in {where}")
    for doc in docs:
        if not doc.summary:
            found.append(f"{doc.name} has no docstring")
        for arg in doc.argnames:
            if not doc.params.get(arg):
                found.append(f"{doc.name}: argument {arg!r} has no :param {arg}:")
        for param in doc.params:
            if param not in doc.argnames:
                found.append(f"{doc.name}: :param {param}: documents no argument")
        if not doc.notes:
            found.append(f"{doc.name}: no closing note on when and how it is called")
    return found


def _render_hook(doc: HookDoc) -> list[str]:
    out = [f"## `{doc.name}`", "", "```python", doc.signature, "```", "", doc.summary, ""]
    for paragraph in doc.body:
        out += [paragraph, ""]
    if doc.params:
        out.append("**Parameters**")
        out.append("")
        out += [f"- `{name}`: {text}" for name, text in doc.params.items()]
        out.append("")
    if doc.returns:
        out += [f"**Returns**: {doc.returns}", ""]
    if doc.firstresult:
        out += [
            "*firstresult*: one result, not a list; when pluggy calls every implementation at "
            "once, the first non-None result wins.",
            "",
        ]
    if doc.historic:
        out += ["*historic*: plugins registered later get the call replayed.", ""]
    for paragraph in doc.notes:
        out += [paragraph, ""]
    return out


def render() -> str:
    """The whole page, as committed in ``docs/hooks.md``."""
    docs = sorted(
        (parse(f) for f in _spec_functions()), key=lambda d: hookspecs.HOOK_NAMES.index(d.name)
    )
    intro = _paragraphs((inspect.getdoc(hookspecs) or "").splitlines()[1:])
    out = [
        "# Hook reference",
        "",
        "<!-- Generated from gini_host/kernel/hookspecs.py by "
        "`python -m gini_host.authoring.hookdoc > docs/hooks.md`. "
        "Do not edit: edit the docstrings and regenerate. -->",
        "",
        _markdown((inspect.getdoc(hookspecs) or "").splitlines()[0]),
        "",
    ]
    for paragraph in intro:
        out += [paragraph, ""]
    out += ["| Hook | Summary |", "| --- | --- |"]
    out += [f"| [`{d.name}`](#{d.name}) | {d.summary} |" for d in docs]
    out.append("")
    for doc in docs:
        out += _render_hook(doc)
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    """Print the page; exit 1 (printing the problems to stderr) when a hook is undocumented."""
    missing = problems()
    if missing:
        sys.stderr.write("".join(f"{line}\n" for line in missing))
        return 1
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
