"""Shared terminal output for the ``yibao`` commands: rich consoles and the error exit."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Print ``错误:message`` to stderr and exit with code 1."""
    err_console.print(f"[red]错误:[/red]{escape(message)}")
    raise typer.Exit(code=1)


def one_line(text: str) -> str:
    """Chunk text for a terminal: indentation and blank lines folded into single spaces."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
