"""The ``yibao`` command line (typer): one module per command group, registered here.

Command modules import heavy libraries inside their handlers, so ``yibao --help`` is instant.
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli import ask, bench, ingest, kb, model, search, serve
from api.cli import eval as eval_cmd
from api.logging_setup import configure_logging

app = typer.Typer(help="医保问答 yibao-qa:基于医保文章的检索问答。", no_args_is_help=True)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="输出调试日志")] = False,
) -> None:
    """医保问答命令行工具。"""
    configure_logging(verbose)


app.command()(model.model)
app.command()(ingest.ingest)
app.add_typer(kb.app, name="kb")
app.command()(search.corpus)
app.command()(search.search)
app.command("eval")(eval_cmd.eval_)
app.command()(bench.bench)
app.command()(ask.ask)
app.command()(serve.serve)
