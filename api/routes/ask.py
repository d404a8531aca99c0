"""``POST /api/ask`` (JSON) and ``POST /api/ask/stream`` (Server-Sent Events).

``answer_question`` is the one place the service is called and its failures are caught; the
OpenAI-compatible routes use it too.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, get_recent, get_settings
from api.errors import AnswerFailedError, ApiError, invalid
from api.openapi import error_responses, event_stream
from api.schemas import AnswerErrorPublic, AnswerPublic, AskRequest, TurnIn
from qa.answering.disclaimer import DISCLAIMER
from qa.serialization import answer_payload, citation_payload, sources_date_range
from qa.service import AnswerService, error_answer
from qa.types import Answer, Turn

logger = logging.getLogger(__name__)
router = APIRouter(tags=["问答"], responses=error_responses(400, 401, 413, 422, 429, 503))
STREAM_EVENTS = ("delta", "citations", "error", "done")

MAX_DELTA_CHARS = 60
_AFTER_STOP = re.compile(r"(?<=[。！？；!?;\n])(?!\[\d+\])")  # "[n]" stays with its sentence


def stream_deltas(text: str) -> list[str]:
    """``text`` cut after each sentence end or line break (``"".join(deltas) == text``)."""
    deltas: list[str] = []
    for part in _AFTER_STOP.split(text):
        if deltas and not part.strip():
            deltas[-1] += part  # line breaks stay with the sentence before them
            continue
        deltas.extend(part[i : i + MAX_DELTA_CHARS] for i in range(0, len(part), MAX_DELTA_CHARS))
    return deltas


def history_turns(history: Sequence[TurnIn] | None, max_turns: int) -> list[Turn]:
    """Validated history as ``Turn``s; more than ``max_turns * 2`` messages is a 422."""
    history = history or []
    limit = max_turns * 2
    if len(history) > limit:
        raise invalid(
            ("body", "history"),
            f"对话历史太长(最多 {limit} 条消息) / "
            f"The history is too long (at most {limit} messages).",
        )
    return [Turn(t.role, t.content) for t in history]


def answer_question(
    request: Request,
    service: AnswerService,
    question: str,
    turns: Sequence[Turn],
    top_k: int | None,
) -> tuple[str, Answer]:
    """Ask the service (``question`` already validated); note what the request log needs and
    remember the answer for feedback.

    Raises:
        AnswerFailedError: the service raised; it carries ``qa.service.error_answer``.
    """
    request.state.question = question
    try:
        answer = service.ask(question, turns, top_k=top_k)
    except Exception as exc:  # the service should not raise on a valid question
        logger.exception("ask failed")
        raise AnswerFailedError(error_answer(question)) from exc
    answer_id = uuid.uuid4().hex
    request.state.refused = answer.refused
    request.state.n_citations = len(answer.citations)
    cited = citation_payload(answer)
    get_recent(request).remember(answer_id, answer.question, answer.text, cited)
    return answer_id, answer


def _event(name: str, data: dict[str, Any]) -> dict[str, str]:
    return {"event": name, "data": json.dumps(data, ensure_ascii=False)}


@router.post(
    "/api/ask",
    response_model=AnswerPublic,
    summary="提问:返回带引用的回答",
    description=(
        "与 `yibao ask --json` 结构相同,另加 `answer_id`(用于反馈)。回答最后一行是免责声明。"
    ),
    responses={500: {"model": AnswerErrorPublic, "description": "回答失败:致歉的回答"}},
)
def ask(body: AskRequest, request: Request, service: ServiceDep) -> Any:
    turns = history_turns(body.history, get_settings(request).max_history_turns)
    answer_id, answer = answer_question(request, service, body.question, turns, body.top_k)
    return {"answer_id": answer_id, **answer_payload(answer)}


@router.post(
    "/api/ask/stream",
    summary="提问(流式,Server-Sent Events)",
    description=(
        "事件依次为:若干 `delta`(`{text}`,逐句/逐行的回答文字,含免责声明),一个 `citations`"
        "(`{answer_id, citations, refused, reason, notes, disclaimer, sources_date_range}`),"
        "最后 `done`。出错时发送 `error`(`{message, status}`)后接 `done`。"
    ),
    response_class=Response,  # errors before the stream are JSON; the 200 is documented below
    responses={200: {"description": "事件流", **event_stream(*STREAM_EVENTS)}},
)
async def ask_stream(
    body: AskRequest, request: Request, service: ServiceDep
) -> EventSourceResponse:
    turns = history_turns(body.history, get_settings(request).max_history_turns)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            answer_id, answer = await run_in_threadpool(
                answer_question, request, service, body.question, turns, body.top_k
            )
        except ApiError as exc:
            yield _event("error", {"message": exc.message, "status": exc.status})
            yield _event("done", {"answer_id": None})
            return
        for delta in stream_deltas(answer.text):
            yield _event("delta", {"text": delta})
        info = {
            "answer_id": answer_id,
            "citations": citation_payload(answer),
            "refused": answer.refused,
            "reason": answer.reason,
            "notes": list(answer.notes),
            "disclaimer": DISCLAIMER,
            "sources_date_range": sources_date_range(answer),
        }
        yield _event("citations", info)
        yield _event("done", {"answer_id": answer_id})

    return EventSourceResponse(events())
