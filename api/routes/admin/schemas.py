"""Response models of the admin routes (documents, retrieval test, feedback review)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import ErrorPublic


class AcceptedFile(BaseModel):
    """An uploaded file that was stored (it is indexed by the reindex the upload started)."""

    name: str = Field(description="上传时的文件名")
    stored_as: str = Field(description="保存在上传文件夹中的文件名(即文档的来源)")
    documents: int = Field(description="文件中的文档数")
    titles: list[str] = Field(description="这些文档的标题")


class RejectedFile(BaseModel):
    """An uploaded file that was not stored, and why (Chinese)."""

    name: str
    reason: str


class UploadOut(BaseModel):
    """What an upload stored and rejected, and the reindex it started or queued."""

    accepted: list[AcceptedFile]
    rejected: list[RejectedFile]
    reindex: dict[str, Any] = Field(description="同 `GET /api/admin/reindex`")


class UploadErrorPublic(ErrorPublic):
    """No file was stored: the reason for the request, or for each file."""

    rejected: list[RejectedFile] = Field(default_factory=list)


class DocumentRow(BaseModel):
    """One document of the live index."""

    doc_id: str
    title: str
    source: str = Field(description="来源文件(相对其来源文件夹)")
    kind: str
    date: str | None
    chunks: int = Field(description="段落数")
    origin: str = Field(description="“上传”,或它所在的知识库来源路径")
    uploaded: bool


class DocumentPage(BaseModel):
    """A page of the live index's documents (uploaded ones first)."""

    total: int
    page: int
    size: int
    items: list[DocumentRow]
    upload_types: list[str] = Field(description="可上传的文件类型")
    max_file_bytes: int = Field(description="单个文件的上限(YIBAO_MAX_FILE_BYTES)")
    max_upload_bytes: int = Field(description="一次上传的上限(YIBAO_MAX_UPLOAD_BYTES)")


class DeleteOut(BaseModel):
    """What a delete did and the reindex it started or queued."""

    doc_id: str
    title: str
    action: Literal["file_deleted", "document_removed"] = Field(
        description="`file_deleted`:删除了只含这篇文档的上传文件;"
        "`document_removed`:文档从知识库中移除(文件保留)"
    )
    reindex: dict[str, Any]


class SearchHit(BaseModel):
    """One ranked chunk with each signal's raw score (see ``qa.types.Hit``)."""

    rank: int
    chunk_id: str
    doc_id: str
    source: str
    title: str
    date: str | None
    text: str
    start: int
    end: int
    score: float
    scores: dict[str, float]


class SearchOut(BaseModel):
    """The question as understood and the chunks retrieval ranks for it."""

    query: str
    understood: dict[str, Any] = Field(
        description="检索所用的问题:text、terms、regions、intent、kind"
    )
    mode: str
    hits: list[SearchHit]
    timings_ms: dict[str, float]


class FeedbackRow(BaseModel):
    """One stored feedback with the answer it rates."""

    id: int
    created_at: str
    answer_id: str
    rating: Literal["up", "down"]
    comment: str
    question: str
    answer: str
    citations: list[dict[str, Any]] | None = Field(description="回答的引用;null = 未记录")


class FeedbackPage(BaseModel):
    """A page of feedback: 没用 (``down``) first, then newest."""

    total: int
    down: int = Field(description="“没用”的条数")
    page: int
    size: int
    items: list[FeedbackRow]
