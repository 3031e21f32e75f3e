"""The page's stylesheet and script, inlined so the report opens with no network.

Both are constants: nothing from the run document ever goes into them. The script only toggles
a class when a legend entry is clicked (show one status, dim the rest); the page is complete
without it.
"""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLESHEET"]

#: Per status: (accent, fill). Accents are dark enough for white text on timeline bars.
PALETTE = {
    "succeeded": ("#1e8a4c", "#e4f5ea"),
    "failed": ("#cf3a3a", "#fde7e7"),
    "skipped": ("#7b8594", "#f0f2f5"),
    "cancelled": ("#c9731c", "#fdf0e1"),
    "dry_run": ("#2f72b8", "#e5eef9"),
    "not_started": ("#a3abb8", "#fafbfc"),
    "other": ("#7354c0", "#efeafb"),
    "interrupted": ("#c9731c", "#fdf0e1"),
    "running": ("#2f72b8", "#e5eef9"),
}


def _status_rules() -> str:
    rules = []
    for status, (accent, fill) in PALETTE.items():
        rules.append(
            f".st-{status}{{--accent:{accent};--fill:{fill}}}"
            f"body[data-focus={status}] .focusable:not(.st-{status}){{opacity:.22}}"
        )
    return "\n".join(rules)


STYLESHEET = (
    """
:root{--ink:#1d2330;--muted:#5d6778;--line:#e3e7ee;--bg:#f6f7f9;--card:#fff;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",
"Noto Sans",sans-serif;color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 var(--sans)}
main{max-width:1240px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:24px;margin:2px 0 14px;display:flex;gap:12px;align-items:center;flex-wrap:wrap;
font-weight:650;letter-spacing:-.01em}
h1 .run-id{font-family:var(--mono);font-size:22px;overflow-wrap:anywhere}
h2{font-size:16px;margin:0 0 4px;font-weight:650}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--muted);
font-weight:600}
section,header.run{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:18px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(20,30,50,.04)}
.hint{color:var(--muted);margin:0 0 12px;font-size:13px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px 24px;
margin:0 0 16px}
.facts div{min-width:0}
.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
font-weight:600}
.facts dd{margin:1px 0 0;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600;
color:var(--accent);background:var(--fill);border:1px solid var(--accent);white-space:nowrap;
font-family:var(--sans);letter-spacing:0}
h1 .badge{font-size:13px;padding:2px 12px}
.legend{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.legend button{font:inherit;font-size:12.5px;display:flex;align-items:center;gap:7px;
border:1px solid var(--line);background:#fff;border-radius:999px;padding:3px 12px 3px 8px;
cursor:pointer;color:var(--ink)}
.legend button:hover{border-color:var(--accent)}
.legend button[aria-pressed=true]{background:var(--fill);border-color:var(--accent)}
.swatch{width:12px;height:12px;border-radius:3px;background:var(--fill);
border:2px solid var(--accent);display:inline-block}
.legend b{font-variant-numeric:tabular-nums}
.scroll{overflow:auto;max-height:640px;border:1px solid var(--line);border-radius:8px;
background:#fbfcfd;padding:8px}
svg text{font-family:var(--sans)}
.dag .node rect{fill:var(--fill);stroke:var(--accent);stroke-width:1.2}
.dag .node rect.stripe{fill:var(--accent);stroke:none}
.dag .node:hover rect{stroke-width:2.4}
.dag .node.st-skipped rect:not(.stripe),.dag .node.st-not_started rect:not(.stripe),
.dag .node.st-interrupted rect:not(.stripe){stroke-dasharray:4 3}
.dag .name{font-size:13px;font-weight:600;fill:var(--ink)}
.dag .plugin{font-size:11px;fill:var(--muted)}
.dag .tries{font-size:11px;font-weight:700;fill:var(--accent);text-anchor:end}
svg.dag{display:block;max-width:100%;height:auto;margin:0 auto}
.dag .edge{fill:none;stroke:#9aa4b4;stroke-width:1.4}
.dag .edge.from-failed,.dag .edge.from-skipped,.dag .edge.from-cancelled{stroke:#d9a3a3;
stroke-dasharray:5 4}
.dag .arrowhead{fill:#9aa4b4}
.timeline{width:100%;height:auto;display:block}
.timeline .lane-bg{fill:#fff}
.timeline .lane-bg.alt{fill:#f5f7fa}
.timeline .lane-label{font-size:12px;fill:var(--muted);font-family:var(--mono)}
.timeline .axis line{stroke:#e1e5ec;stroke-width:1}
.timeline .axis text{font-size:11px;fill:var(--muted);text-anchor:middle}
.timeline .axis text.last{text-anchor:end}
.timeline .bar rect{fill:var(--accent);stroke:rgba(0,0,0,.12)}
.timeline .bar.open rect{fill:var(--fill);stroke:var(--accent);stroke-dasharray:4 3}
.timeline .bar:hover rect{stroke:var(--ink);stroke-width:1.5}
.timeline .bar-label{font-size:11px;fill:#fff;font-weight:600;pointer-events:none}
.timeline .bar.open .bar-label{fill:var(--ink)}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.06em;
color:var(--muted);font-weight:600;padding:6px 10px;border-bottom:2px solid var(--line)}
td{padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top;
overflow-wrap:anywhere}
td a{color:inherit;text-decoration-style:dotted;text-underline-offset:2px}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr:target td,tr.flash td{background:#fff8d6}
td code,.mono{font-family:var(--mono);font-size:12.5px}
.stage-id{font-family:var(--mono);font-size:13px;font-weight:600}
.subtle{color:var(--muted);font-size:12.5px}
.error{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:8px;
padding:12px 16px;margin:12px 0 0;background:#fff}
.error h3{margin:0 0 6px;font-size:14px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.error h3 a{color:var(--ink)}
.error .message{white-space:pre-wrap;font-family:var(--mono);font-size:13px;margin:0 0 8px;
overflow-wrap:anywhere}
.error ol{margin:4px 0 8px;padding-left:22px;font-size:13px}
details summary{cursor:pointer;color:#2f5ea8;font-weight:600;font-size:13px;
user-select:none}
details[open] summary{margin-bottom:6px}
pre{margin:0;background:#f3f5f8;border:1px solid var(--line);border-radius:6px;padding:10px 12px;
font:12.5px/1.45 var(--mono);white-space:pre-wrap;overflow-wrap:anywhere;max-height:480px;
overflow:auto}
.logs{border-top:1px solid var(--line);padding:8px 0}
.logs:first-of-type{border-top:0}
.logs table td{padding:3px 10px;border:0;font-size:12.5px}
.logs td.msg{font-family:var(--mono);white-space:pre-wrap}
.level{font-weight:700;font-size:11px;letter-spacing:.04em}
.level-WARNING{color:#b7791f}.level-ERROR,.level-CRITICAL{color:#cf3a3a}
.level-SUCCESS{color:#1e8a4c}.level-INFO{color:#5d6778}
.empty{color:var(--muted);font-style:italic;margin:4px 0}
footer{color:var(--muted);font-size:12px;text-align:center;overflow-wrap:anywhere}
"""
    + _status_rules()
)

SCRIPT = """
(function(){
  var buttons=document.querySelectorAll('.legend button');
  buttons.forEach(function(button){
    button.addEventListener('click',function(){
      var status=button.getAttribute('data-status');
      var on=document.body.getAttribute('data-focus')===status;
      if(on){document.body.removeAttribute('data-focus');}
      else{document.body.setAttribute('data-focus',status);}
      buttons.forEach(function(b){
        b.setAttribute('aria-pressed',String(!on&&b===button));
      });
    });
  });
})();
"""
