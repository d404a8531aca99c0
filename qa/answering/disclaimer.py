"""The disclaimer every answer ends with, appended by code (never by a template or an LLM)."""

from __future__ import annotations

DISCLAIMER = "提示:本内容不能代替面诊,如有不适请尽快就医。"


def with_disclaimer(text: str) -> str:
    """``text`` ending with exactly one disclaimer line (any copy already in it is removed)."""
    body = text.replace(DISCLAIMER, "").strip()
    return f"{body}\n\n{DISCLAIMER}" if body else DISCLAIMER
