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

#: JSON-schema classes: what ``has_control_chars`` rejects (lone surrogates aside: JSON text
#: cannot carry them) and what ``str.strip()`` removes (``str.isspace``).
CONTROL_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
SPACE_CLASS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Text without control characters (``clean_text``), as a JSON-schema pattern.
NO_CONTROL_PATTERN = f"^[^{CONTROL_CLASS}]*$"
#: ``validate_question`` as a JSON-schema pattern: once stripped, 1–500 characters and no
#: control characters.
QUESTION_PATTERN = (
    f"^[{SPACE_CLASS}]*[^{CONTROL_CLASS}{SPACE_CLASS}]"
    f"(?:[^{CONTROL_CLASS}]{{0,{MAX_QUESTION_CHARS - 2}}}[^{CONTROL_CLASS}{SPACE_CLASS}])?"
    f"[{SPACE_CLASS}]*$"
)


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
    content: str = Field(
        max_length=MAX_TURN_CHARS,
        description="消息内容(不含控制字符)",
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    )

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        return clean_text(value, "历史消息", "history message")


class AskRequest(BaseModel):
    """A question, optionally with the earlier turns of the conversation."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "怎么激活医保码", "history": []}]}
    )

    question: str = Field(
        description=f"用户的问题(去掉首尾空白后 1–{MAX_QUESTION_CHARS} 字,不含控制字符)",
        json_schema_extra={"pattern": QUESTION_PATTERN},
    )
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
    source_title: str | None = Field(None, description="来源文件的标题(代替文件名显示)")
    url: str | None = Field(None, description="来源链接(已知时)")
    publisher: str | None = Field(None, description="发布者(已知时)")
    added: str | None = Field(None, description="来源未注明日期时:收录日期(文件日期)")


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
    source_title: str | None = None
    url: str | None = None
    publisher: str | None = None
    added: str | None = None


class Readiness(BaseModel):
    """``/readyz``: 200 once the index and model are loaded, else 503 with the load status."""

    ready: bool
    status: str = Field(description="`loading` / `ready` / `failed`")
    documents: int | None = Field(None, description="资料库文档数(就绪时)")


class Suggestions(BaseModel):
    """Example questions the corpus answers."""

    suggestions: list[str]


class FeedbackIn(BaseModel):
    """A thumbs-up/down on an answer."""

    answer_id: str = Field(pattern=r"^[0-9a-fA-F-]{32,36}$", description="回答的 answer_id")
    rating: Literal["up", "down"] = Field(description="`up` 有帮助 / `down` 没帮助")
    comment: str | None = Field(
        None,
        max_length=MAX_COMMENT_CHARS,
        description="可选的意见(不含控制字符)",
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    )

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


class ErrorPublic(BaseModel):
    """The error body of the ``/api`` routes."""

    detail: str = Field(description="说明(中文 / English)")


class FieldErrorPublic(BaseModel):
    """One invalid field of a 422."""

    loc: list[str | int] = Field(description='位置,如 `["body", "history", 0]`')
    type: str = Field(description="错误类型(pydantic 的 type)")
    message: str = Field(description="说明(中文 / English)")


class ValidationErrorPublic(ErrorPublic):
    """A 422 of the ``/api`` routes: the first problem in ``detail``, all of them in ``errors``."""

    errors: list[FieldErrorPublic]


class OpenAIErrorDetail(BaseModel):
    """OpenAI's error object."""

    message: str = Field(description="说明(中文 / English)")
    type: str
    code: str | None


class OpenAIErrorPublic(BaseModel):
    """The error body of the ``/v1`` routes, in OpenAI's shape."""

    error: OpenAIErrorDetail


class AnswerErrorPublic(AnswerPublic):
    """A 500 of ``/api/ask``: an apologising answer (with the disclaimer), plus ``detail``."""

    detail: str
