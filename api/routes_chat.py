"""OpenAI-compatible ``/v1/models`` and ``/v1/chat/completions`` (stream and non-stream).

The last user message is the question; earlier user/assistant messages are the history (the
most recent ``max_history_turns × 2`` are kept, older ones dropped); system, developer and
tool messages are ignored. Only the model ``yibao-qa`` is served: any other name is a 404
``model_not_found`` in OpenAI's error format. Answers carry an extra top-level ``citations``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ApiError, ServiceDep, error_payload, get_settings
from api.routes_ask import answer_question, stream_pieces
from api.schemas import (
    MAX_TURN_CHARS,
    SERVED_MODEL,
    ChatMessage,
    ChatRequest,
    bad_char,
    question_problem,
)
from qa.answering.disclaimer import with_disclaimer
from qa.serialization import citation_payload
from qa.service import ERROR_TEXT
from qa.types import Turn

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])


def _invalid(loc: tuple[Any, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


def _clean(text: str) -> str:
    """History text without control characters, cut to ``MAX_TURN_CHARS``."""
    return "".join(ch for ch in text[:MAX_TURN_CHARS] if not bad_char(ch))


def split_messages(messages: Sequence[ChatMessage], max_turns: int) -> tuple[str, list[Turn]]:
    """``(question, history)`` from OpenAI messages; a 400 if the last one is not a user's."""
    talk = [(i, m) for i, m in enumerate(messages) if m.role in ("user", "assistant")]
    if not talk or talk[-1][1].role != "user":
        raise _invalid(
            ("body", "messages"),
            "最后一条消息必须是用户的问题 / The last message must be a user message.",
        )
    index, last = talk[-1]
    problem = question_problem(last.text())
    if problem:
        raise _invalid(("body", "messages", index, "content"), problem)
    history = [Turn(m.role, _clean(m.text())) for _, m in talk[:-1]]  # type: ignore[arg-type]
    return last.text(), history[-max_turns * 2 :] if max_turns else []


def _check_model(model: str) -> None:
    if model != SERVED_MODEL:
        raise ApiError(
            404,
            f"模型 {model!r} 不存在,本服务只提供 {SERVED_MODEL} / "
            f"The model {model!r} does not exist; this server serves only {SERVED_MODEL}.",
            code="model_not_found",
        )


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
        "`model` 必须是 `yibao-qa`。回答含 [n] 引用标注和免责声明,另有顶层 `citations` 字段;"
        "流式时最后一个 chunk 带 `citations`,随后是 `data: [DONE]`。"
    ),
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
    try:
        answer_id, answer = await run_in_threadpool(
            answer_question, request, service, question, turns, None
        )
    except ApiError:
        raise
    except Exception as exc:
        logger.exception("chat completion failed")
        raise ApiError(500, with_disclaimer(ERROR_TEXT), code="internal_error") from exc
    return {
        "id": f"chatcmpl-{answer_id}",
        "object": "chat.completion",
        "created": created,
        "model": SERVED_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(prompt_chars, len(answer.text)),
        "citations": citation_payload(answer),
        "answer_id": answer_id,
        "refused": answer.refused,
    }


def _usage(prompt: int, completion: int) -> dict[str, int]:
    """Character counts (the service has no tokenizer of its own)."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


async def _stream(
    request: Request,
    service: Any,
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
    except Exception as exc:
        if not isinstance(exc, ApiError):
            logger.exception("chat completion stream failed")
            exc = ApiError(500, with_disclaimer(ERROR_TEXT), code="internal_error")
        yield data(error_payload("/v1", exc.status, exc.message, exc.code))
        yield {"data": "[DONE]"}
        return

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, str]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return data(
            {
                "id": f"chatcmpl-{answer_id}",
                "object": "chat.completion.chunk",
                "created": created,
                "model": SERVED_MODEL,
                "choices": [choice],
                **extra,
            }
        )

    yield chunk({"role": "assistant", "content": ""})
    for piece in stream_pieces(answer.text):
        yield chunk({"content": piece})
    extra = {"answer_id": answer_id, "refused": answer.refused}
    yield chunk({}, "stop", citations=citation_payload(answer), **extra)
    if include_usage:
        usage = _usage(prompt_chars, len(answer.text))
        yield data(
            {
                "id": f"chatcmpl-{answer_id}",
                "object": "chat.completion.chunk",
                "created": created,
                "model": SERVED_MODEL,
                "choices": [],
                "usage": usage,
            }
        )
    yield {"data": "[DONE]"}
