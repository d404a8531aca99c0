"""Answers written by an OpenAI-compatible chat model (vLLM, Ollama, DeepSeek, Qwen …),
checked in code, with the extractive composer as the fallback.

The model gets the top hits as numbered passages (title, date, text) and a Chinese system
prompt: answer only from them, cite them as ``[n]``, say so when they do not answer, state
no figure they do not contain, add no disclaimer. Its reply is then validated:

* ``<think>`` blocks and any disclaimer it wrote are removed (the caller appends the one
  disclaimer);
* markers are normalised (``【2】``, ``[1,3]``); a marker naming no given passage is removed;
  citations are renumbered 1..n in order of first use, each quoting its passage's chunk span;
* a figure not found in a cited passage (its quote, title or date) rejects the reply, as does
  a reply citing nothing;
* HTTP errors, timeouts, invalid JSON and empty content reject it too (the official
  ``openai`` client makes the call, retrying ``Settings.llm_max_retries`` times first).

A rejected reply falls back to :class:`qa.answering.extractive.ExtractiveComposer`, and the
composition
says why (``composer="extractive"``, ``reason``). Trust notes are added in code either way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from qa.answering.extractive import (
    CitationList,
    Composer,
    Composition,
    trust_notes,
    usable_chunks,
)
from qa.settings import Settings
from qa.text.figures import unsupported_figures
from qa.types import Chunk, Document, Hit, Question

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "你是医保办事问答助手。只能根据用户消息里编号的资料回答问题,不要使用资料以外的知识。"
    "每个要点后面用方括号标注所依据的资料编号,例如[1]或[2],只能使用给出的编号。"
    "如果资料不能回答这个问题,请直接说明资料中没有相关内容。"
    "不要写出资料中没有的数字、金额、比例、日期或电话号码。"
    "不要添加免责声明或就医提示,系统会自动添加。用简体中文简洁地回答,步骤可以分点列出。"
)
"""Retries after a timeout, connection error, 408/409/429 or 5xx (the client backs off)."""

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_DISCLAIMER = re.compile(r"(?:提示\s*[:：]\s*)?本内容不能代替面诊[^。\n]*。?")
_MARKER = re.compile(r"[\[［【]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]］】]")


class LlmRejected(Exception):
    """The model's reply cannot be used; ``str(exc)`` says why (logged and recorded)."""


def _passage_text(chunk: Chunk) -> str:
    lines = (line.strip() for line in chunk.text.splitlines())
    return "\n".join(line for line in lines if line)


def build_messages(question: str, passages: Sequence[Chunk]) -> list[dict[str, str]]:
    """Chat messages: the system prompt, then the numbered passages and the question."""
    blocks = []
    for n, chunk in enumerate(passages, start=1):
        date = f"(日期:{chunk.date})" if chunk.date else ""
        blocks.append(f"[{n}] 标题:{chunk.title}{date}\n{_passage_text(chunk)}")
    user = "资料:\n\n" + "\n\n".join(blocks) + f"\n\n问题:{question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


class LlmComposer:
    """Composes answers with a chat model; falls back to ``fallback`` when the reply fails.

    Args:
        settings: Uses ``llm_base_url``, ``llm_model``, ``llm_api_key`` and ``llm_timeout``.
        fallback: The extractive composer used whenever the model's reply is rejected.
        client: OpenAI client to use instead of one built from ``settings``.

    Example::

        composer = LlmComposer(settings, fallback=ExtractiveComposer(settings))
        composer.compose(question, hits, documents).composer  # "llm" or "extractive"
    """

    def __init__(
        self,
        settings: Settings,
        fallback: Composer,
        client: openai.OpenAI | None = None,
    ) -> None:
        self.settings = settings
        self.fallback = fallback
        if client is None and settings.llm_base_url:
            client = openai.OpenAI(
                base_url=settings.llm_base_url,
                api_key=settings.llm_api_key or "none",  # local servers need no key
                timeout=settings.llm_timeout,
                max_retries=settings.llm_max_retries,
            )
        self.client = client

    def compose(
        self, question: Question, hits: Sequence[Hit], documents: Mapping[str, Document]
    ) -> Composition:
        """Like :meth:`ExtractiveComposer.compose`; ``composer`` says which one answered."""
        passages = usable_chunks(hits, documents, self.settings.llm_max_passages)
        try:
            if not self.settings.llm_base_url:
                raise LlmRejected("llm_base_url is not set")
            if not passages:
                raise LlmRejected("no passage to give the model")
            reply = self._complete(build_messages(question.standalone, passages))
            return self._validated(reply, question, passages, documents)
        except LlmRejected as exc:
            logger.warning("LLM answer replaced by the extractive one: %s", exc)
            composition = self.fallback.compose(question, hits, documents)
            return replace(composition, composer="extractive", reason=str(exc))

    def _complete(self, messages: list[dict[str, str]]) -> str:
        """The model's reply text, or ``LlmRejected`` on any transport or format problem."""
        if self.client is None:
            raise LlmRejected("llm_base_url is not set")
        timeout = self.settings.llm_timeout
        try:
            completion = self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=0,
            )
            # A non-JSON body comes back as str, a JSON one of another shape as a partial model.
            content = completion.choices[0].message.content
        except openai.APITimeoutError as exc:
            raise LlmRejected(
                f"LLM request timed out after {timeout:g}s "
                f"(tried {1 + self.settings.llm_max_retries} times)"
            ) from exc
        except openai.APIStatusError as exc:
            raise LlmRejected(f"LLM endpoint answered HTTP {exc.status_code}") from exc
        except openai.APIResponseValidationError as exc:
            raise LlmRejected("LLM reply is not chat-completion JSON") from exc
        except openai.APIConnectionError as exc:
            cause = type(exc.__cause__ or exc).__name__
            raise LlmRejected(f"LLM request failed: {cause}") from exc
        except openai.OpenAIError as exc:
            raise LlmRejected(f"LLM request failed: {type(exc).__name__}") from exc
        except (ValueError, AttributeError, KeyError, IndexError, TypeError) as exc:
            raise LlmRejected("LLM reply is not chat-completion JSON") from exc
        if not isinstance(content, str) or not content.strip():
            raise LlmRejected("LLM reply is empty")
        return content

    def _validated(
        self,
        reply: str,
        question: Question,
        passages: Sequence[Chunk],
        documents: Mapping[str, Document],
    ) -> Composition:
        """The reply as a composition with built citations, or ``LlmRejected``."""
        text = _DISCLAIMER.sub("", _THINK.sub("", reply))
        citations = CitationList(documents)
        unknown: list[str] = []

        def renumber(match: re.Match[str]) -> str:
            marks = []
            for raw in re.split(r"\s*[,，、]\s*", match[1]):
                k = int(raw)
                if 1 <= k <= len(passages):
                    chunk = passages[k - 1]
                    marks.append(f"[{citations.number(chunk, chunk.start, chunk.end)}]")
                else:
                    unknown.append(raw)
            return "".join(dict.fromkeys(marks))

        body = re.sub(r"\n{3,}", "\n\n", _MARKER.sub(renumber, text)).strip()
        if unknown:
            logger.info("removed LLM citation markers naming no passage: %s", unknown)
        if not body:
            raise LlmRejected("LLM reply is empty once the disclaimer is removed")
        if not citations.items:
            raise LlmRejected("LLM answer cites no passage")
        by_id = {p.chunk_id: p for p in passages}
        sources = []
        for c in citations.items:
            sources += [c.quote, by_id[c.chunk_id].title, c.date or ""]
        missing = unsupported_figures(body, sources)
        if missing:
            raise LlmRejected(f"LLM answer states figures not in the cited passages: {missing}")
        notes = trust_notes(question, passages, citations, body)
        full = "\n\n".join([body, "\n".join(notes)]) if notes else body
        return Composition(full, tuple(citations.items), notes, composer="llm")
