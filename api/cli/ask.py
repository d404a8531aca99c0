"""``yibao ask``: one question (text or ``--json``) or a ``--jsonl`` batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from api.cli.console import console, fail
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.service import AnswerService
    from qa.types import Turn


def load_history(path: Path) -> list[Turn]:
    """Turns from a JSON array or JSONL file of ``{"role": "user"|"assistant", "content"}``."""
    from qa.types import turns_from_records

    text = path.read_text("utf-8").strip()
    records = (
        json.loads(text)
        if text.startswith("[")
        else [json.loads(line) for line in text.splitlines() if line.strip()]
    )
    return turns_from_records(records)


def ask(
    question: Annotated[str | None, typer.Argument(help="问题")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
    history: Annotated[
        Path | None, typer.Option("--history", help="对话历史(JSON 数组或 JSONL)")
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option("--jsonl", help='批量提问:每行 {"id","question","history"?},逐行输出答案'),
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", min=1, max=20, help="引用候选段落数")
    ] = None,
) -> None:
    # "\[": typer renders help as rich markup, which would take "[n]" for a style tag.
    r"""回答问题:带 \[n] 引用标注和来源列表,结尾附免责声明。"""
    from qa.index.versions import IndexLoadError
    from qa.serialization import answer_payload
    from qa.service import AnswerService, InvalidQuestionError

    if (question is None) == (jsonl is None):
        fail("请给出一个问题,或用 --jsonl 指定批量问题文件(二者选一)。")
    try:
        turns = load_history(history) if history else []
    except (OSError, ValueError) as exc:
        fail(f"无法读取对话历史 {history}:{exc}")
    try:
        service = AnswerService.load(Settings())
    except IndexLoadError as exc:
        fail(str(exc))
    if jsonl is not None:
        ask_jsonl(service, jsonl, top_k)
        return
    try:
        answer = service.ask(question or "", turns, top_k=top_k)
    except InvalidQuestionError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(answer_payload(answer), ensure_ascii=False))
        return
    console.print(escape(answer.text), highlight=False)
    if answer.citations:
        console.print("\n[bold]来源[/bold]")
        for c in answer.citations:
            date = f" · {c.date}" if c.date else f" · 收录于 {c.added}" if c.added else ""
            origin = " · ".join(filter(None, [c.publisher, c.source_title or c.source]))
            link = f" · {c.url}" if c.url else ""
            console.print(
                f"\\[{c.n}] {escape(c.title)}[dim]{date} · {escape(origin)}{escape(link)}[/dim]"
            )


def ask_jsonl(service: AnswerService, path: Path, top_k: int | None) -> None:
    """One output line per input line; a bad line becomes ``{"id", "error"}`` and the rest go on."""
    from qa.serialization import jsonl_record
    from qa.service import InvalidQuestionError
    from qa.types import turns_from_records

    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        fail(f"无法读取 {path}:{exc}")
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id = None
        out: dict[str, Any]
        try:
            rec = json.loads(line)
            item_id = rec.get("id", n)
            turns = turns_from_records(rec.get("history"))
            answer = service.ask(str(rec.get("question", "")), turns, top_k=top_k)
            out = jsonl_record(item_id, answer)
        except (ValueError, AttributeError, InvalidQuestionError) as exc:
            out = {"id": item_id if item_id is not None else n, "error": f"第 {n} 行:{exc}"}
        typer.echo(json.dumps(out, ensure_ascii=False))
