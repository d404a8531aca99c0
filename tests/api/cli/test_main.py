"""`yibao` itself: the subcommands are listed, and `--help` imports nothing heavy."""

import subprocess
import sys

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
