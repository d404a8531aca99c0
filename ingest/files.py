"""Find and read the files of a corpus; a bad entry is skipped with a reason, never fatal.

Walking: hidden entries (``.name``) are ignored. A symbolic link is followed only when its
target lies inside the corpus folder, unless external targets are allowed. Link loops,
dangling links, folders that cannot be listed and links leaving the folder are skipped,
each with a Chinese reason, and the walk goes on. A folder reached twice (through a link
or a bind mount) is walked once; one that contains itself is a loop.

Reading: only regular files are read (never a FIFO or device), up to a size limit. Text is
decoded as UTF-8 (BOM optional) or else GB18030, with newlines normalised to ``\\n`` (as
Python's text mode does); binary files and other encodings are refused (:class:`SkipFile`).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from qa.types import SkippedFile

logger = logging.getLogger(__name__)

LOOP = "符号链接循环"
DANGLING = "符号链接指向的文件不存在"
EXTERNAL = "符号链接指向语料目录之外,已拒绝(可设置 YIBAO_ALLOW_EXTERNAL_SYMLINKS=true 允许)"
NOT_REGULAR = "不是普通文件(管道、设备或套接字)"
_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"\xff\xd8\xff", b"GIF8", b"\x7fELF")
_CONTROL_BYTES = bytes(b for b in [*range(0x20), 0x7F] if b not in b"\t\n\r\f\v\x1b")
_MAX_CONTROL_SHARE = 0.05


@dataclass
class CorpusWalk:
    """Files found under one folder, as ``(path, source)``, and the entries skipped.

    ``source`` is the posix path relative to the folder (through links, not resolved).
    """

    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def unreadable(exc: OSError, what: str = "文件") -> str:
    """The Chinese skip reason for an ``OSError`` met while opening or reading a path."""
    if exc.errno == errno.ELOOP:
        return LOOP
    return f"无法读取{what}({exc.strerror or type(exc).__name__})"


def walk_corpus(root: Path, allow_external_symlinks: bool = False) -> CorpusWalk:
    """Non-hidden files under ``root``, sorted (a folder's files before its subfolders).

    Args:
        root: The corpus folder.
        allow_external_symlinks: Follow links whose target is outside ``root``.
    """
    return _Walker(root, allow_external_symlinks).walk()


Identity = tuple[int, int]  # (device, inode): the same folder, whatever path reaches it


class _Walker:
    def __init__(self, root: Path, allow_external: bool) -> None:
        self.root, self.real_root = root, Path(os.path.realpath(root))
        self.allow_external = allow_external
        self.found = CorpusWalk()

    def walk(self) -> CorpusWalk:
        """Depth first, without recursion (a deep tree must not exhaust the stack)."""
        walked: set[Identity] = set()
        pending = [(self.root, _identity(os.stat(self.root)), frozenset[Identity]())]
        while pending:
            path, identity, above = pending.pop()
            if identity in above:
                self._skip(path, LOOP)
            elif identity in walked:
                logger.debug("Already walked %s", path)
            else:
                walked.add(identity)
                inside = above | {identity}
                pending.extend((sub, ident, inside) for sub, ident in self._list(path)[::-1])
        return self.found

    def _list(self, folder: Path) -> list[tuple[Path, Identity]]:
        """Record the files of ``folder``; return its subfolders."""
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in entries if not e.name.startswith("."))
        except OSError as exc:
            self._skip(folder, unreadable(exc, "目录"))
            return []
        folders = []
        for name in names:
            entry = folder / name
            info = self._follow(entry)
            if info is None:
                continue
            if stat.S_ISDIR(info.st_mode):
                folders.append((entry, _identity(info)))
            else:  # files, and FIFOs or devices, which reading refuses with a reason
                self.found.files.append((entry, self._source(entry)))
        return folders

    def _follow(self, entry: Path) -> os.stat_result | None:
        """The status of ``entry`` (through a link), or None when it is skipped."""
        try:
            if entry.is_symlink():
                target = Path(os.path.realpath(entry, strict=True))  # raises on loops
                if not self.allow_external and not target.is_relative_to(self.real_root):
                    self._skip(entry, EXTERNAL)
                    return None
            return os.stat(entry)
        except OSError as exc:
            missing = exc.errno in (errno.ENOENT, errno.ENOTDIR) and entry.is_symlink()
            self._skip(entry, DANGLING if missing else unreadable(exc))
            return None

    def _source(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path != self.root else str(path)

    def _skip(self, path: Path, reason: str) -> None:
        logger.debug("Skipped %s: %s", path, reason)
        self.found.skipped.append(SkippedFile(self._source(path), reason))


def _identity(info: os.stat_result) -> Identity:
    return info.st_dev, info.st_ino


class SkipFile(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside loading when a file must be skipped; ``str(exc)`` is the reason."""


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file; raises SkipFile.

    Opened without blocking and checked on the open descriptor, so a FIFO or device is
    refused rather than waited on or read forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SkipFile(unreadable(exc)) from exc
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SkipFile(NOT_REGULAR)
            if info.st_size > max_bytes:
                raise SkipFile(_too_big(info.st_size, max_bytes))
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise SkipFile(unreadable(exc)) from exc
    if len(data) > max_bytes:  # it grew since fstat
        raise SkipFile(_too_big(len(data), max_bytes))
    return data


def _too_big(size: int, max_bytes: int) -> str:
    return f"文件过大({_format_size(size)},上限 {_format_size(max_bytes)})"


def _format_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} KB"
    return f"{n} B"


def decode_text(data: bytes) -> str:
    """Decode text bytes (UTF-8, else GB18030) with ``\\n`` newlines; raises SkipFile."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        raise SkipFile("编码无法识别(非 UTF-8/GB18030)")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if b"\0" in data or data.startswith(_MAGIC) or controls > _MAX_CONTROL_SHARE * len(data):
        raise SkipFile("二进制文件,无法作为文本读取")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        odd = sum(1 for ch in text if unicodedata.category(ch) in ("Co", "Cn"))
        if odd <= 0.01 * len(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
    raise SkipFile("编码无法识别(非 UTF-8/GB18030)")
