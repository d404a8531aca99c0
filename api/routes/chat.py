"""OpenAI-compatible ``/v1/models`` and ``/v1/chat/completions`` (stream and non-stream).

The last user message is the question; earlier user/assistant messages are the history (the
most recent ``max_history_turns × 2`` are kept, older ones dropped); system, developer and
tool messages are ignored. Only the model ``yibao-qa`` is served: any other name is a 404
``model_not_found`` in OpenAI's error format. Answers carry an extra top-level ``citations``;
generic chat UIs ignore it, so the content also lists the sources (``message_pieces``) unless
``openai_sources_in_text`` is off.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, get_settings
from api.errors import ApiError, error_payload, invalid
from api.openapi import error_responses, event_stream
from api.routes.ask import answer_question, stream_deltas
from api.schemas import (
    MAX_TURN_CHARS,
    SERVED_MODEL,
    ChatMessage,
    ChatRequest,
    checked_question,
)
from qa.answering.disclaimer import DISCLAIMER
from qa.service import AnswerService
from qa.text.normalize import has_control_chars
from qa.types import Answer, Citation, Document, Role, Turn

SOURCES_HEADING = "来源:"
NO_DATE = "日期未注明"

router = APIRouter(
    prefix="/v1",
    tags=["OpenAI 兼容"],
    responses=error_responses(401, 413, 429, 503, openai=True),
)


def _clean(text: str) -> str:
    """History text without control characters, cut to ``MAX_TURN_CHARS``."""
    return "".join(ch for ch in text[:MAX_TURN_CHARS] if not has_control_chars(ch))


def split_messages(messages: Sequence[ChatMessage], max_turns: int) -> tuple[str, list[Turn]]:
    """``(question, history)`` from OpenAI messages; a 400 if the last one is not a user's."""
    talk = [(i, m) for i, m in enumerate(messages) if m.role in ("user", "assistant")]
    if not talk or talk[-1][1].role != "user":
        raise invalid(
            ("body", "messages"),
            "最后一条消息必须是用户的问题 / The last message must be a user message.",
        )
    index, last = talk[-1]
    try:
        question = checked_question(last.text())
    except ValueError as exc:
        raise invalid(("body", "messages", index, "content"), str(exc)) from None
    history = [Turn(cast(Role, m.role), _clean(m.text())) for _, m in talk[:-1]]
    return question, history[-max_turns * 2 :] if max_turns else []


def _check_model(model: str) -> None:
    if model != SERVED_MODEL:
        raise ApiError(
            404,
            f"模型 {model!r} 不存在,本服务只提供 {SERVED_MODEL} / "
            f"The model {model!r} does not exist; this server serves only {SERVED_MODEL}.",
            code="model_not_found",
        )


def _source_title(citation: Citation, documents: Mapping[str, Document]) -> str:
    document = documents.get(citation.doc_id)
    fallback = citation.source_title or (document.title if document else "")
    return citation.title or fallback or citation.source


def message_pieces(answer: Answer, documents: Mapping[str, Document], sources: bool) -> list[str]:
    """The assistant message in stream pieces; joined, they are the non-stream content.

    With ``sources`` (and citations: a refusal has none), a 来源 list of Markdown footnotes
    (``[n]: 标题 — 日期``), one piece per line, goes before the disclaimer, which stays the
    last line as in every answer. Otherwise the pieces are those of ``/api/ask/stream``.

    Example:
        >>> "".join(message_pieces(answer, service.documents, sources=True))
        '…[1]\\n\\n来源:\\n[1]: 医保从来没用过怎么激活 — 日期未注明\\n\\n提示:…'
    """
    if not (sources and answer.citations):
        return stream_deltas(answer.text)
    body = answer.text.replace(DISCLAIMER, "").strip()
    notes = [
        f"[{c.n}]: {_source_title(c, documents)} — {_when(c)}{_link(c)}\n" for c in answer.citations
    ]
    return [*stream_deltas(body), f"\n\n{SOURCES_HEADING}\n", *notes, f"\n{DISCLAIMER}"]


def _when(citation: Citation) -> str:
    """The source's date, else the day it was added (marked), else 日期未注明."""
    if citation.date:
        return citation.date
    return f"收录于 {citation.added}(原文未注明日期)" if citation.added else NO_DATE


def _link(citation: Citation) -> str:
    return f" — {citation.url}" if citation.url else ""


def _pieces(request: Request, service: AnswerService, answer: Answer) -> list[str]:
    sources = get_settings(request).openai_sources_in_text
    return message_pieces(answer, service.documents, sources)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    """Character counts (the service has no tokenizer of its own)."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _extra(answer_id: str, answer: Answer) -> dict[str, Any]:
    """The non-OpenAI fields every completion carries: citations, answer id, refusal."""
    return {
        "citations": [c.to_dict() for c in answer.citations],
        "answer_id": answer_id,
        "refused": answer.refused,
    }


@router.get("/models", summary="模型列表(OpenAI 兼容)")
def models(request: Request, _service: ServiceDep) -> dict[str, Any]:
    created = int(request.app.state.started)
    model = {"id": SERVED_MODEL, "object": "model", "created": created, "owned_by": "yibao-qa"}
    return {"object": "list", "data": [model]}


@router.post(
    "/chat/completions",
    summary="对话补全(OpenAI 兼容)",
    description=(
        "最后一条 user 消息是问题,之前的 user/assistant 消息是对话历史,system 消息被忽略。"
        "`model` 必须是 `yibao-qa`。回答含 [n] 引用标注、来源列表(`[n]: 标题 — 日期`,"
        "`YIBAO_OPENAI_SOURCES_IN_TEXT=false` 时省略)和免责声明,另有顶层 `citations` 字段;"
        "流式时最后一个 chunk 带 `citations`,随后是 `data: [DONE]`。"
    ),
    responses={
        200: {"description": "`stream: true` 时为事件流(最后一条 `[DONE]`)", **event_stream()},
        **error_responses(400, 404, 500, openai=True),
    },
)
async def chat_completions(body: ChatRequest, request: Request, service: ServiceDep) -> Any:
    _check_model(body.model)
    question, turns = split_messages(body.messages, get_settings(request).max_history_turns)
    prompt_chars = sum(len(m.text()) for m in body.messages)
    created = int(time.time())
    if body.stream:
        include_usage = bool((body.stream_options or {}).get("include_usage"))
        return EventSourceResponse(
            _stream(request, service, question, turns, created, prompt_chars, include_usage)
        )
    answer_id, answer = await run_in_threadpool(
        answer_question, request, service, question, turns, None
    )
    content = "".join(_pieces(request, service, answer))
    return {
        "id": f"chatcmpl-{answer_id}",
        "object": "chat.completion",
        "created": created,
        "model": SERVED_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(prompt_chars, len(content)),
        **_extra(answer_id, answer),
    }


async def _stream(
    request: Request,
    service: AnswerService,
    question: str,
    turns: list[Turn],
    created: int,
    prompt_chars: int,
    include_usage: bool,
) -> AsyncIterator[dict[str, str]]:
    def data(payload: dict[str, Any]) -> dict[str, str]:
        return {"data": json.dumps(payload, ensure_ascii=False)}

    try:
        answer_id, answer = await run_in_threadpool(
            answer_question, request, service, question, turns, None
        )
    except ApiError as exc:
        yield data(error_payload("/v1", exc.status, exc.message, exc.code))
        yield {"data": "[DONE]"}
        return

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, str]:
        head = {
            "id": f"chatcmpl-{answer_id}",
            "object": "chat.completion.chunk",
            "created": created,
        }
        return data({**head, "model": SERVED_MODEL, "choices": choices, **extra})

    def delta(content: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": content, "finish_reason": finish, "logprobs": None}]

    pieces = _pieces(request, service, answer)
    yield chunk(delta({"role": "assistant", "content": ""}))
    for text in pieces:
        yield chunk(delta({"content": text}))
    yield chunk(delta({}, "stop"), **_extra(answer_id, answer))
    if include_usage:
        yield chunk([], usage=_usage(prompt_chars, sum(map(len, pieces))))
    yield {"data": "[DONE]"}
