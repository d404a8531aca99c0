"""``answers.html``: every question with each system's answer, the reference and what failed.

What a maintainer reads to judge answers: per system, failing items first (most failed checks
first, then by id), each with the answer (line breaks kept), the gold reference and key facts,
the failed checks with their reasons, and the cited passages folded away. Self-contained: inline
CSS, no scripts, every text escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from eval.gold import GoldItem, Prediction
from eval.runner import LOWER_IS_BETTER, SystemRun

CHECKS = (
    "false_refusal_rate",
    "refusal_rate",
    "key_fact_recall",
    "lead_key_fact",
    "key_fact_gain",
    "duplicate_sentence_rate",
    "heading_line_rate",
    "source_order",
    "figure_faithfulness",
    "source_hit",
    "conflict_flag_rate",
    "disclaimer_rate",
)
"""Per-item metric values shown as failures (in this order) when :func:`failed`."""


def failed(metric: str, value: float) -> bool:
    """Whether an item misses: > 0 if lower is better, < 0 for the key-fact gain, else < 1."""
    if metric in LOWER_IS_BETTER:
        return value > 0
    if metric == "key_fact_gain":
        return value < 0
    return value < 1


def item_failures(run: SystemRun) -> dict[str, list[tuple[str, str]]]:
    """Item id → the (metric, reason) of each :data:`CHECKS` metric it failed in ``run``."""
    out: dict[str, list[tuple[str, str]]] = {}
    for metric in CHECKS:
        result = run.metrics.get(metric)
        for score in result.items if result else ():
            if failed(metric, score.value):
                out.setdefault(score.item_id, []).append((metric, score.reason))
    return out


def _text(value: str | None, empty: str = "(none)") -> str:
    return f'<div class="text">{escape(value)}</div>' if value else f"<p><i>{empty}</i></p>"


def _card(item: GoldItem, pred: Prediction, fails: list[tuple[str, str]]) -> str:
    checks = (
        "<ul>" + "".join(f"<li><b>{escape(m)}</b> {escape(r)}</li>" for m, r in fails) + "</ul>"
        if fails
        else '<p class="pass">no failed check</p>'
    )
    said = "answer" + (f" (refused: {escape(pred.reason or 'yes')})" if pred.refused else "")
    facts = "、".join(escape(f) for f in item.key_facts) or "—"
    sources = "".join(
        f"<li value={c.n}>{escape(c.source)} {escape(c.title)}{_text(c.text)}</li>"
        for c in pred.citations
    )
    cited = (
        f"<details><summary>cited passages ({len(pred.citations)})</summary><ol>{sources}</ol>"
        "</details>"
        if pred.citations
        else ""
    )
    return (
        f'<article class="{"fail" if fails else "ok"}">'
        f"<h3>{escape(item.id)} · {escape(item.kind)} · {escape(item.question)}</h3>{checks}"
        f'<div class="pair"><div><h4>{said}</h4>{_text(pred.answer, "no answer")}</div>'
        f"<div><h4>reference</h4>{_text(item.reference)}<p>key facts: {facts}</p></div></div>"
        f"{cited}</article>"
    )


def render_answers(runs: Sequence[SystemRun], items: Sequence[GoldItem], info: dict) -> str:
    """The answers page: per system, every gold question, failing items first."""
    by_id = {i.id: i for i in items}
    nav, sections = [], []
    for k, run in enumerate(runs):
        fails = item_failures(run)
        preds = [p for p in run.predictions if p.item_id in by_id]
        preds.sort(key=lambda p: (-len(fails.get(p.item_id, ())), p.item_id))
        bad = sum(bool(fails.get(p.item_id)) for p in preds)
        title = f"{escape(run.name)}: {bad} of {len(preds)} answers fail a check"
        nav.append(f'<li><a href="#s{k}">{title}</a></li>')
        cards = "".join(_card(by_id[p.item_id], p, fails.get(p.item_id, [])) for p in preds)
        sections.append(f'<section id="s{k}"><h2>{title}</h2>{cards}</section>')
    meta = "".join(f"<li><b>{escape(str(k))}</b>: {escape(str(v))}</li>" for k, v in info.items())
    checks = ", ".join(escape(c) for c in CHECKS)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>yibao-qa 答案</title><style>{_CSS}</style></head><body>
<h1>yibao-qa 答案</h1><p><a href="report.html">← report.html</a></p><ul>{meta}</ul>
<p>Checks: {checks}. A check fails below 1 (above 0 where lower is better; below 0 for
key_fact_gain).</p><ul>{"".join(nav)}</ul>
{"".join(sections)}
</body></html>"""


_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em;color:#111;max-width:80em}
article{border:1px solid #ccc;border-left:6px solid #16a34a;padding:.5em 1em;margin:1em 0}
article.fail{border-left-color:#dc2626}
h3{font-size:1em;margin:.3em 0}h4{margin:.3em 0;color:#374151}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.text{white-space:pre-wrap;background:#f9fafb;padding:.5em;border-radius:4px}
.pass{color:#16a34a}li b{color:#dc2626}
"""
