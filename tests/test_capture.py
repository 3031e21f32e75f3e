"""stdout_to_stderr: what plugin code prints reaches stderr, labelled; the host's stdout stays its own."""

from __future__ import annotations

import contextvars
import sys
import threading

import pytest

from gini_host.capture import (
    UNATTRIBUTED,
    current_label,
    host_owns_stdout,
    host_stdout,
    stdout_to_stderr,
)


class Streams:
    """What reached the real stdout and stderr (pytest's capsys underneath)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.out = ""
        self.err = ""

    def read(self) -> None:
        seen = self.capsys.readouterr()
        self.out += seen.out
        self.err += seen.err


@pytest.fixture
def streams(capsys: pytest.CaptureFixture[str]) -> Streams:
    return Streams(capsys)


def test_print_inside_goes_to_stderr_with_the_label(streams: Streams) -> None:
    """Every line a plugin prints is on stderr, prefixed with its label; stdout stays empty."""
    with stdout_to_stderr("noisy"):
        print("one\ntwo")
        print("three", end="")
        print(" and more")
    streams.read()
    assert streams.out == ""
    assert streams.err == "[noisy] one\n[noisy] two\n[noisy] three and more\n"


def test_stdout_is_restored_and_host_writes_pass(streams: Streams) -> None:
    """After the block (even one that raised) stdout is the original object again."""
    out = sys.stdout
    with pytest.raises(RuntimeError), stdout_to_stderr("p"):
        raise RuntimeError("boom")
    assert sys.stdout is out
    print("host")
    streams.read()
    assert streams.out == "host\n"
    assert current_label() is None


def test_threads_keep_their_own_label(streams: Streams) -> None:
    """Concurrent captures label their own lines; a thread without a capture writes to stdout."""
    out = sys.stdout
    inside = threading.Barrier(3)

    def plugin(label: str) -> None:
        with stdout_to_stderr(label):
            inside.wait()
            print(f"from {label}")
            inside.wait()

    threads = [threading.Thread(target=plugin, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    inside.wait()
    print("host line")  # the main thread has no label: this is the host's own output
    inside.wait()
    for t in threads:
        t.join()
    streams.read()
    assert streams.out == "host line\n"
    assert sorted(streams.err.splitlines()) == ["[a] from a", "[b] from b"]
    assert sys.stdout is out


def test_copied_context_carries_the_label(streams: Streams) -> None:
    """Code run in a copied context (how the kernel runs a hook on a thread) keeps the label."""
    with stdout_to_stderr("p"):
        ctx = contextvars.copy_context()
        t = threading.Thread(target=ctx.run, args=(print, "hi"))
        t.start()
        t.join()
    streams.read()
    assert streams.err == "[p] hi\n"


def test_lines_of_concurrent_captures_never_interleave(streams: Streams) -> None:
    """A line is written whole: a stage's half line does not mix with another's output,
    and a line left unended is written out when its capture ends."""
    started, other_done = threading.Event(), threading.Event()

    def other() -> None:
        started.wait()
        with stdout_to_stderr("b"):
            print("b's line")
        other_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with stdout_to_stderr("a"):
        print("a starts", end="")
        started.set()
        other_done.wait()
        print(" and ends")
        print("unended", end="")
    thread.join()
    streams.read()
    assert streams.err == "[b] b's line\n[a] a starts and ends\n[a] unended\n"


def test_while_the_host_owns_stdout_only_host_stdout_reaches_it(streams: Streams) -> None:
    """host_owns_stdout: unlabelled writes (a thread plugin code started) go to stderr as
    plugin code; the host's own writes go to host_stdout(); labels still win."""
    with host_owns_stdout():
        thread = threading.Thread(target=print, args=("from a thread",))
        thread.start()
        thread.join()
        with stdout_to_stderr("stage"):
            print("from a stage")
        host_stdout().write("the host's document\n")
    print("after")
    streams.read()
    assert streams.out == "the host's document\nafter\n"
    assert streams.err == f"[{UNATTRIBUTED}] from a thread\n[stage] from a stage\n"
