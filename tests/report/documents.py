"""Run documents (the RUN_DOC contract) for the report's tests and the README screenshot.

``nightly_backup`` is what a real run looks like: nine stages on three threads, one that
failed after a retry (with a traceback), one skipped because of it, one that succeeded on its
second attempt, log lines at several levels. ``hostile`` is what a hostile plugin can put in a
record. ``wide`` is a graph of a few hundred stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

T0 = 1796101262.0
WORKERS = ("ThreadPoolExecutor-0_0", "ThreadPoolExecutor-0_1", "ThreadPoolExecutor-0_2")
TRACEBACK = """Traceback (most recent call last):
  File "/srv/gini/plugins/net_upload/stages.py", line 48, in upload
    response = session.put(target, data=stream, timeout=ctx.config["timeout"])
  File "/usr/lib/python3/dist-packages/requests/sessions.py", line 649, in put
    return self.request("PUT", url, data=data, **kwargs)
  File "/usr/lib/python3/dist-packages/requests/adapters.py", line 532, in send
    raise ConnectionError(e, request=request)
ConnectionError: HTTPSConnectionPool(host='backup.example.internal', port=443): Max retries exceeded
"""


def _attempt(number: int, start: float, end: float, status: str, worker: str,
             error: str | None = None) -> dict[str, Any]:
    return {"number": number, "started_at": T0 + start, "finished_at": T0 + end,
            "status": status, "error": error, "worker": worker}


def _stage(stage_id: str, status: str, attempts: list[dict[str, Any]], *,
           reason: str | None = None, error: dict[str, Any] | None = None,
           value: Any = None, logs: Sequence[tuple[float, str, str]] = ()) -> dict[str, Any]:
    first = attempts[0] if attempts else None
    last = attempts[-1] if attempts else None
    record: dict[str, Any] = {
        "stage_id": stage_id, "plugin": stage_id.partition("::")[0], "status": status,
        "reason": reason, "attempts": len(attempts),
        "started_at": first["started_at"] if first else None,
        "finished_at": last["finished_at"] if last else None,
        "duration": (last["finished_at"] - first["started_at"]) if first and last else None,
        "worker": last["worker"] if last else None, "error": error,
        "value_stored": value is not None, "value_note": None, "attempt_log": attempts,
        "logs": [{"time": T0 + t, "level": level, "message": m} for t, level, m in logs],
    }
    if value is not None:
        record["value"] = value
    return record


def nightly_backup() -> dict[str, Any]:
    """A failed nightly run: upload failed twice, its dependent skipped, the rest succeeded."""
    w0, w1, w2 = WORKERS
    stages = [
        _stage("inventory::discover", "succeeded", [_attempt(1, 0.05, 0.61, "succeeded", w0)],
               value={"sites": 3}, logs=[(0.3, "INFO", "found 3 sites: ams, fra, lon")]),
        _stage("inventory::hosts", "succeeded", [_attempt(1, 0.63, 1.9, "succeeded", w0)],
               value={"hosts": 42},
               logs=[(1.2, "INFO", "42 hosts in 3 sites"),
                     (1.5, "WARNING", "host lon-db-2 did not answer; using cached facts")]),
        _stage("disk::check_space", "succeeded", [_attempt(1, 0.64, 1.1, "succeeded", w1)],
               value={"free_gb": 812.4}),
        _stage("disk::cleanup", "succeeded", [_attempt(1, 1.12, 2.4, "succeeded", w1)],
               value=17, logs=[(2.3, "INFO", "removed 17 archives older than 30 days")]),
        _stage("db::snapshot", "succeeded",
               [_attempt(1, 1.92, 3.1, "failed", w0, "TimeoutError: lock wait exceeded 1.0 s"),
                _attempt(2, 3.6, 5.2, "succeeded", w2)],
               value="snap-20261201-0501",
               logs=[(3.1, "WARNING", "attempt 1 failed: lock wait exceeded; retrying in 0.5 s"),
                     (5.1, "SUCCESS", "snapshot snap-20261201-0501 (12.3 GiB)")]),
        _stage("files::archive", "succeeded", [_attempt(1, 1.95, 4.8, "succeeded", w1)],
               value={"archive": "/var/backups/2026-12-01.tar.zst", "bytes": 9_812_331_520},
               logs=[(2.0, "INFO", "archiving 42 hosts"), (4.7, "INFO", "9.1 GiB written")]),
        _stage("files::checksum", "succeeded", [_attempt(1, 4.82, 5.6, "succeeded", w1)],
               value="sha256:9f2c41…"),
        _stage("net::upload", "failed",
               [_attempt(1, 5.65, 6.9, "failed", w0, "ConnectionError: Max retries exceeded"),
                _attempt(2, 7.4, 8.6, "failed", w2, "ConnectionError: Max retries exceeded")],
               error={"type": "ConnectionError", "traceback": TRACEBACK,
                      "message": "HTTPSConnectionPool(host='backup.example.internal', "
                                 "port=443): Max retries exceeded"},
               logs=[(5.7, "INFO", "uploading 9.1 GiB to backup.example.internal"),
                     (6.9, "ERROR", "attempt 1 failed: connection refused"),
                     (8.6, "ERROR", "attempt 2 failed: connection refused; giving up")]),
        _stage("notify::summary", "skipped", [], reason="upstream failed: net::upload"),
    ]
    edges = [
        ["inventory::discover", "inventory::hosts"], ["inventory::discover", "disk::check_space"],
        ["disk::check_space", "disk::cleanup"], ["inventory::hosts", "db::snapshot"],
        ["inventory::hosts", "files::archive"], ["disk::check_space", "files::archive"],
        ["files::archive", "files::checksum"], ["db::snapshot", "net::upload"],
        ["files::checksum", "net::upload"], ["net::upload", "notify::summary"],
        ["disk::cleanup", "notify::summary"],
    ]
    return _run("20261201T050102-3f9a2c", ["nightly-backup"], "failed", 8.8, stages, edges)


def _run(run_id: str, targets: list[str], status: str, duration: float,
         stages: list[dict[str, Any]], edges: list[list[str]]) -> dict[str, Any]:
    counts = dict.fromkeys(("succeeded", "failed", "skipped", "cancelled", "dry_run"), 0)
    for stage in stages:
        counts[stage["status"]] = counts.get(stage["status"], 0) + 1
    return {
        "run_id": run_id, "targets": targets, "status": status, "started_at": T0,
        "finished_at": T0 + duration, "duration": duration, "executor": "threads", "jobs": 3,
        "dry_run": False, "resumed_from": None, "host_version": "0.4.0",
        "plugins": {s["plugin"]: "1.2.0" for s in stages}, "config_digest": "0" * 64,
        "plan": {"stages": [s["stage_id"] for s in stages], "edges": edges},
        "counts": counts, "stages": stages,
    }


HOSTILE_NAME = "evil::<script>document.title='pwned'</script>"


def hostile() -> dict[str, Any]:
    """What a hostile plugin can put in a record: markup in every text field."""
    img = "<img src=x onerror=\"document.title='pwned'\">"
    stages = [
        _stage(HOSTILE_NAME, "failed", [_attempt(1, 0.1, 0.5, "failed", f"</title>{img}")],
               error={"type": "<b>Err</b>", "message": f"{img}\ud800\x00",
                      "traceback": f"</pre></details>{img}"},
               logs=[(0.2, "<i>", f"]]><![CDATA[{img}")]),
        _stage("evil::after", "skipped", [], reason=f"upstream failed: {img}"),
    ]
    doc = _run(f"run-{img}", [img], "failed", 0.6, stages, [[HOSTILE_NAME, "evil::after"]])
    doc["plugins"] = {img: img}
    return doc


def wide(count: int = 300) -> dict[str, Any]:
    """``count`` stages in 12 layers, each requiring two stages of the layer before."""
    per_layer = max(count // 12, 1)
    ids = [f"p{i % 7}::stage_{i:03d}" for i in range(count)]
    edges = []
    for i in range(per_layer, count):
        above = (i // per_layer - 1) * per_layer
        edges.append([ids[above + (i * 7) % per_layer], ids[i]])
        edges.append([ids[above + (i * 3 + 1) % per_layer], ids[i]])
    stages = [
        _stage(stage_id, "succeeded",
               [_attempt(1, 0.01 * i, 0.01 * i + 0.05, "succeeded", WORKERS[i % 3])])
        for i, stage_id in enumerate(ids)
    ]
    return _run("20261201T060000-wide00", ["wide"], "succeeded", 0.01 * count + 0.1, stages,
                [list(dict.fromkeys(e)) for e in edges if e[0] != e[1]])
