"""Request and response models of the HTTP API (validation messages in Chinese + English)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.errors import question_message
from qa.service import MAX_QUESTION_CHARS, InvalidQuestionError, validate_question
from qa.text.normalize import has_control_chars

MAX_TURN_CHARS = 8000
MAX_COMMENT_CHARS = 2000
SERVED_MODEL = "yibao-qa"


def clean_text(value: str, what_zh: str, what_en: str) -> str:
    """``value`` unchanged, or a ``ValueError`` if it has characters no one can read."""
    if has_control_chars(value):
        raise ValueError(
            f"{what_zh}中含有无法识别的控制字符 / The {what_en} contains control characters."
        )
    return value


def checked_question(value: str) -> str:
    """``value`` if ``qa.service.validate_question`` accepts it, else a bilingual ``ValueError``."""
    try:
        validate_question(value)
    except InvalidQuestionError as exc:
        raise ValueError(question_message(exc)) from None
    return value


class TurnIn(BaseModel):
    """An earlier message of the conversation."""

    role: Literal["user", "assistant"] = Field(description="`user` 或 `assistant`")
    content: str = Field(max_length=MAX_TURN_CHARS, description="消息内容")

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        return clean_text(value, "历史消息", "history message")


class AskRequest(BaseModel):
    """A question, optionally with the earlier turns of the conversation."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "怎么激活医保码", "history": []}]}
    )

    question: str = Field(description=f"用户的问题(1–{MAX_QUESTION_CHARS} 字)")
    history: list[TurnIn] | None = Field(
        None, description="之前的对话(最多 max_history_turns×2 条),用于理解追问"
    )
    top_k: int | None = Field(None, ge=1, le=20, description="引用候选段落数")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return checked_question(value)


class CitationPublic(BaseModel):
    """Source ``[n]`` of an answer: the exact quoted span of one document."""

    n: int
    doc_id: str
    chunk_id: str
    source: str
    title: str
    date: str | None
    quote: str
    start: int
    end: int


class AnswerPublic(BaseModel):
    """The answer: same fields as `yibao ask --json`, plus ``answer_id`` for feedback."""

    model_config = ConfigDict(extra="allow")

    answer_id: str
    question: str
    answer: str = Field(description="回答正文,含 [n] 引用标注,最后一行是免责声明")
    citations: list[CitationPublic]
    refused: bool
    reason: str
    notes: list[str]
    composer: str
    disclaimer: str
    sources_date_range: dict[str, str] | None
    timings_ms: dict[str, float]


class Highlight(BaseModel):
    """A cited span with some context on each side."""

    start: int
    end: int
    before: str
    text: str
    after: str


class DocumentPublic(BaseModel):
    """A corpus document with its metadata."""

    doc_id: str
    title: str
    source: str
    kind: str
    date: str | None
    time: str | None
    regions: list[str]
    text: str
    highlight: Highlight | None = None


class Suggestions(BaseModel):
    """Example questions the corpus answers."""

    suggestions: list[str]


class FeedbackIn(BaseModel):
    """A thumbs-up/down on an answer."""

    answer_id: str = Field(pattern=r"^[0-9a-fA-F-]{32,36}$", description="回答的 answer_id")
    rating: Literal["up", "down"] = Field(description="`up` 有帮助 / `down` 没帮助")
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS, description="可选的意见")

    @field_validator("comment")
    @classmethod
    def _comment(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value, "意见", "comment")


class FeedbackOut(BaseModel):
    """The stored feedback row."""

    id: int
    answer_id: str
    rating: str


class ContentPart(BaseModel):
    """One part of an OpenAI message content list (only ``text`` parts are read)."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """An OpenAI chat message; ``system``/``developer``/``tool`` messages are ignored."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message text (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI ``/v1/chat/completions`` request; unknown OpenAI fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(SERVED_MODEL, description=f"只提供 `{SERVED_MODEL}`")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
