"""`yibao` itself: the subcommands are listed, every help text is shown as written (in
Chinese), and `--help` imports nothing heavy."""

import re
import subprocess
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from api.cli.main import app

HEAVY = (
    "torch",
    "faiss",
    "bm25s",
    "jieba",
    "opencc",
    "uvicorn",
    "fastapi",
    "sentence_transformers",
)


def test_help_lists_subcommands(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "corpus", "search", "ask", "eval", "serve", "model"):
        assert command in result.output


def test_help_imports_no_heavy_library():
    script = (
        "import sys\nfrom api.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('heavy:', *[m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "heavy:"


def _help_texts(command: Any) -> list[str]:
    """The command's own help (first line) and its parameters' help, unescaped."""
    texts = [command.help.strip().splitlines()[0]]
    texts += [p.help for p in command.params if getattr(p, "help", None)]
    return [text.replace("\\[", "[") for text in texts]


def test_every_help_text_is_chinese_and_shown_intact(runner):
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup) and len(group.commands) >= 8
    for name, command in group.commands.items():
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "400"})
        assert result.exit_code == 0, result.output
        for text in _help_texts(command):
            assert re.search(r"[\u4e00-\u9fff]", text), f"{name}: {text!r} is not Chinese"
            assert text in result.output, f"{name}: {text!r} not shown as written"
    ask_help = runner.invoke(app, ["ask", "--help"], env={"COLUMNS": "400"}).output
    assert "带 [n] 引用标注" in ask_help
    assert "带 [n] 引用标注" in runner.invoke(app, ["--help"], env={"COLUMNS": "400"}).output
