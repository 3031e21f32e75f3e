"""A fake machine tree for the readers: files written under a temporary directory at their real
paths. Named uniquely because every plugin's tests share one pytest session and one sys.path."""

from __future__ import annotations

from pathlib import Path


class FakeRoot:
    """A directory standing in for ``/``; write files by the path they have on a real host."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, logical: str, content: str | bytes) -> Path:
        target = self.path / logical.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def mkdir(self, logical: str) -> Path:
        target = self.path / logical.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        return target
