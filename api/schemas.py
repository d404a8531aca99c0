"""Request and response models of the HTTP API (validation messages in Chinese + English)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa.service import MAX_QUESTION_CHARS, InvalidQuestionError, validate_question

MAX_TURN_CHARS = 8000
MAX_COMMENT_CHARS = 2000
SERVED_MODEL = "yibao-qa"


def bad_char(text: str) -> bool:
    """True if ``text`` has control characters (tab/newline aside) or lone surrogates."""
    return any(
        (ord(ch) < 32 and ch not in "\t\n\r")
        or 0x7F <= ord(ch) <= 0x9F
        or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in text
    )


def question_problem(question: str) -> str | None:
    """What is wrong with ``question`` (``<中文> / <English>``), or ``None`` if it is fine."""
    text = question.strip()
    if not text:
        return "问题不能为空 / The question must not be empty."
    if len(text) > MAX_QUESTION_CHARS:
        return (
            f"问题太长了(最多 {MAX_QUESTION_CHARS} 个字) / "
            f"The question is too long (at most {MAX_QUESTION_CHARS} characters)."
        )
    if bad_char(text):
        return "问题中含有无法识别的控制字符 / The question contains control characters."
    try:
        validate_question(text)
    except InvalidQuestionError as exc:
        return f"{exc} / Invalid question."
    return None


def _clean_text(value: str, what_zh: str, what_en: str) -> str:
    if bad_char(value):
        raise ValueError(
            f"{what_zh}中含有无法识别的控制字符 / The {what_en} contains control characters."
        )
    return value


class TurnIn(BaseModel):
    """An earlier message of the conversation."""

    role: Literal["user", "assistant"] = Field(description="`user` 或 `assistant`")
    content: str = Field(max_length=MAX_TURN_CHARS, description="消息内容")

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        return _clean_text(value, "历史消息", "history message")


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
        problem = question_problem(value)
        if problem:
            raise ValueError(problem)
        return value


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
        return None if value is None else _clean_text(value, "意见", "comment")


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
