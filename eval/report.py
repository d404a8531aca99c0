"""Write an evaluation run to disk: ``report.json``, ``predictions.jsonl``, ``report.html`` and
``answers.html`` (:mod:`eval.answers.page`). The pages are self-contained (inline CSS and SVG, no
scripts), so they open anywhere offline. Conversations are their own slice in every file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import partial
from html import escape
from pathlib import Path

from eval.answers.page import render_answers
from eval.conversations import SLICE
from eval.gold import GoldItem, Prediction
from eval.runner import (
    ANSWER_METRICS,
    LOWER_IS_BETTER,
    NO_DIRECTION,
    NOT_A_RATE,
    RETRIEVAL_METRICS,
    SystemRun,
)

CONVERSATION_METRICS = (
    "answered_when_should",
    "refused_when_should",
    "refusal_kind",
    "answered_key_fact_recall",
)
Pick = Callable[[SystemRun, str], float | None]
COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563")


def metric_names(runs: Sequence[SystemRun]) -> list[str]:
    """Metrics that at least one run scored overall or in a slice, in display order."""
    tables = [run.metrics for run in runs] + [s for run in runs for s in run.by_kind.values()]
    scored = {m for table in tables for m, r in table.items() if r.score is not None}
    order = (*RETRIEVAL_METRICS, *ANSWER_METRICS, *CONVERSATION_METRICS)
    return [m for m in order if m in scored]


def _scores(results: dict) -> dict[str, float | None]:
    return {name: result.score for name, result in results.items()}


def report_dict(runs: Sequence[SystemRun], items: Sequence[GoldItem], info: dict) -> dict:
    """Everything in ``report.json``: scores, slices, latency and per-item values."""
    return {
        **info,
        "n_items": len(items),
        "items_per_kind": dict(Counter(i.kind for i in items)),
        "systems": {
            run.name: {
                "metrics": _scores(run.metrics),
                "by_kind": {k: _scores(v) for k, v in run.by_kind.items()},
                "by_source": {k: _scores(v) for k, v in run.by_source.items()},
                "latency_ms": run.latency,
                "seconds": round(run.seconds, 2),
                "per_item": {
                    name: [asdict(s) for s in result.items] for name, result in run.metrics.items()
                },
                **_conversation_part(run),
            }
            for run in runs
        },
    }


def _conversation_part(run: SystemRun) -> dict:
    """The conversation slice of one system in ``report.json`` (nothing if not asked)."""
    if not run.dialogues:
        return {}
    return {
        SLICE: {
            "n": len(run.dialogues),
            "metrics": _scores(run.conversations),
            "per_item": {
                name: [asdict(s) for s in result.items]
                for name, result in run.conversations.items()
            },
        }
    }


def _prediction_record(system: str, pred: Prediction, **about: object) -> dict:
    return {
        "system": system,
        "id": pred.item_id,
        **about,
        "question": pred.question,
        "retrieved": [{"rank": n, **asdict(c)} for n, c in enumerate(pred.retrieved, start=1)],
        "answer": pred.answer,
        "citations": [asdict(c) for c in pred.citations],
        "refused": pred.refused,
        "reason": pred.reason,
        "timings_ms": {k: round(v, 3) for k, v in pred.timings_ms.items()},
    }


def write_report(
    runs: Sequence[SystemRun], items: Sequence[GoldItem], out: Path, info: dict
) -> dict[str, Path]:
    """Write the four report files into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "report.json",
        "predictions": out / "predictions.jsonl",
        "html": out / "report.html",
        "answers": out / "answers.html",
    }
    report = report_dict(runs, items, info)
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    by_id = {i.id: i for i in items}
    records = []
    for run in runs:
        for pred in run.predictions:
            item = by_id[pred.item_id]
            records.append(_prediction_record(run.name, pred, kind=item.kind, source=item.source))
        for conv, pred in run.dialogues:
            history = [asdict(turn) for turn in conv.turns]
            about = {"kind": SLICE, "source": conv.source, "history": history}
            records.append(_prediction_record(run.name, pred, **about, expect=conv.expect))
    with open(paths["predictions"], "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    paths["html"].write_text(render_html(runs, items, info), "utf-8")
    paths["answers"].write_text(render_answers(runs, items, info), "utf-8")
    return paths


def _bar_chart(
    title: str, groups: list[str], series: dict[str, list[float | None]], vmax: float = 1.0
) -> str:
    """Grouped vertical bars: one group per label, one bar per series (system)."""
    width = max(420, 24 * len(groups) * max(1, len(series)) + 120)
    pad, top, inner_h, longest = 56, 30, 174, max(map(len, groups), default=0)
    group_w = (width - 2 * pad) / max(1, len(groups))
    slant = longest * 6.5 > group_w  # labels wider than their group are slanted
    height = top + inner_h + pad + (5 * longest if slant else 0)
    bar_w = group_w * 0.8 / max(1, len(series))
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'style="max-width:100%;height:auto">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + inner_h * (1 - tick)
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{pad - 4}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{tick * vmax:.{0 if vmax >= 10 else 2}f}</text>"
        )
    for g, label in enumerate(groups):
        x0 = pad + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series.items()):
            value = values[g]
            if value is None:
                continue
            h = inner_h * min(max(value / vmax, 0.0), 1.0) if vmax else 0
            x, y = x0 + s * bar_w, top + inner_h - h
            colour = COLOURS[s % len(COLOURS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.92:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(name)} {escape(label)}: {value:.3f}</title></rect>'
            )
        x, y = x0 + group_w * 0.4, top + inner_h + 16
        place = f'text-anchor="end" transform="rotate(-35 {x:.1f} {y})"'
        place = place if slant else 'text-anchor="middle"'
        parts.append(f'<text x="{x:.1f}" y="{y}" class="label" {place}>{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: Sequence[str]) -> str:
    return "".join(
        f'<span class="key"><i style="background:{COLOURS[i % len(COLOURS)]}"></i>'
        f"{escape(n)}</span>"
        for i, n in enumerate(names)
    )


def _label(metric: str) -> str:
    return f"{metric} ↓" if metric in LOWER_IS_BETTER else metric


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _table(runs: Sequence[SystemRun], metrics: Sequence[str], pick: Pick) -> str:
    head = "".join(f"<th>{escape(_label(m))}</th>" for m in metrics)
    best = {}
    for m in metrics:
        values = [v for run in runs if (v := pick(run, m)) is not None]
        if values and m not in NO_DIRECTION:
            best[m] = min(values) if m in LOWER_IS_BETTER else max(values)
    rows = []
    for run in runs:
        cells = []
        for m in metrics:
            value = pick(run, m)
            strong = value is not None and value == best.get(m)
            cells.append(
                f"<td>{'<b>' if strong else ''}{_fmt(value)}{'</b>' if strong else ''}</td>"
            )
        rows.append(f"<tr><th>{escape(run.name)}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th>system</th>{head}</tr>{''.join(rows)}</table>"


def _slice_score(slices: dict, key: str, metric: str) -> float | None:
    result = slices.get(key, {}).get(metric)
    return None if result is None else result.score


def _kind_score(kind: str, run: SystemRun, metric: str) -> float | None:
    return _slice_score(run.by_kind, kind, metric)


def _latency_section(runs: Sequence[SystemRun]) -> str:
    stages = sorted({s for r in runs for s in r.latency})
    head = "".join(f"<th>{escape(s)}</th>" for s in stages)
    rows = "".join(
        f"<tr><th>{escape(r.name)}</th>"
        + "".join(
            f"<td>{_fmt(r.latency.get(s, {}).get('p50'))} / "
            f"{_fmt(r.latency.get(s, {}).get('p95'))}</td>"
            for s in stages
        )
        + "</tr>"
        for r in runs
    )
    vmax = max([r.latency[s]["p95"] for r in runs for s in r.latency] or [1.0]) or 1.0
    charts = "".join(
        f"<h3>{q} (ms)</h3>"
        + _bar_chart(
            q, stages, {r.name: [r.latency.get(s, {}).get(q) for s in stages] for r in runs}, vmax
        )
        for q in ("p50", "p95")
    )
    return f"<table><tr><th>system</th>{head}</tr>{rows}</table>{charts}"


def render_html(runs: Sequence[SystemRun], items: Sequence[GoldItem], info: dict) -> str:
    """The report page: summary table, metric bars, latency, per-kind and per-source slices."""
    metrics = [m for m in metric_names(runs) if m not in CONVERSATION_METRICS]
    kinds = sorted({i.kind for i in items})
    sources = sorted({i.source for i in items if i.source})
    charts = ""
    for group in (RETRIEVAL_METRICS, ANSWER_METRICS):
        shown = [m for m in metrics if m in group and m not in NOT_A_RATE]
        if shown:
            values = {r.name: [r.score(m) for m in shown] for r in runs}
            charts += _bar_chart("metrics (↓ lower is better)", [_label(m) for m in shown], values)
    source_chart = _bar_chart(
        "hit@5 per source",
        [s[:3] for s in sources],
        {r.name: [_slice_score(r.by_source, s, "hit@5") for s in sources] for r in runs},
    )
    kind_tables = "".join(
        f"<h3>{escape(k)} ({sum(i.kind == k for i in items)})</h3>"
        + _table(runs, metrics, partial(_kind_score, k))
        for k in kinds
    )
    talkers = [run for run in runs if run.dialogues]
    conversations = ""
    if talkers:
        shown = [*CONVERSATION_METRICS, "disclaimer_rate"]
        conversations = (
            f"<h2>Conversations ({len(talkers[0].dialogues)}, last message with history)</h2>"
            + _table(talkers, shown, partial(_kind_score, SLICE))
        )
    meta = "".join(f"<li><b>{escape(str(k))}</b>: {escape(str(v))}</li>" for k, v in info.items())
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>yibao-qa 评测报告</title><style>{_CSS}</style></head><body>
<h1>yibao-qa 评测报告</h1><ul>{meta}<li><b>items</b>: {len(items)}</li></ul>
<p><a href="answers.html">answers.html</a>: every answer with its reference and failed checks</p>
<p>{_legend([run.name for run in runs])}</p>
<h2>Summary</h2>{_table(runs, metrics, lambda run, m: run.score(m))}
<h2>Metrics</h2>{charts}
<h2>Latency (ms, p50 / p95 per stage)</h2>{_latency_section(runs)}
<h2>Per source: hit@5</h2><p>{", ".join(escape(s) for s in sources)}</p>{source_chart}
<h2>Per kind</h2>{kind_tables}
{conversations}
</body></html>"""


_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child{text-align:left}
.grid{stroke:#e5e7eb}.tick,.label{font-size:11px;fill:#374151}
.key{margin-right:1em}.key i{display:inline-block;width:12px;height:12px;margin-right:4px}
"""
