"""The wheel is complete: built without warnings, installed in a fresh venv, it serves the widget.

The build uses the running venv's setuptools (``--no-build-isolation --no-index``: offline).
The fresh venv has no pip and sees the running venv's site-packages through a ``.pth`` file,
so torch and the rest are not installed again; the wheel goes into the fresh venv's own
site-packages, which comes first on its ``sys.path``. A ``.pth`` line adds a folder without
running the ``.pth`` files inside it, so the running venv's editable install stays out.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

SHIPPED = {
    "api/static/index.html",
    "api/static/widget.js",
    "api/static/favicon.svg",
    "qa/data/userdict.txt",
    "qa/data/stopwords.txt",
    "qa/data/synonyms.toml",
    "qa/data/intent_terms.toml",
    "qa/data/calibration.json",
    "qa/data/known_questions.jsonl",
    "eval/gold.jsonl",
    "api/cli/main.py",
}

#: Run by the fresh venv's python in an empty folder: where the code comes from, and the pages.
SERVE_WIDGET = """
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
import api.app
from api.app import create_app
from qa.settings import DATA_DIR, Settings

settings = Settings(_env_file=None, embedder="fake", data_dir=Path("data"))
client = TestClient(create_app(settings, loader=lambda _: None))  # no lifespan: no loading
pages = {p: client.get(p) for p in ("/", "/widget.js", "/favicon.ico")}
print(json.dumps({
    "prefix": sys.prefix,
    "api": api.app.__file__,
    "userdict": (DATA_DIR / "userdict.txt").is_file() and str(DATA_DIR),
    "status": {p: r.status_code for p, r in pages.items()},
    "text": {p: r.text[:4000] for p, r in pages.items()},
}))
"""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH (the worktree) and YIBAO_* settings."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("YIBAO_")}


def _build_wheel(tmp: Path) -> tuple[Path, str]:
    """Build from a copy of what the build reads (no stale ``build/`` can hide a gap)."""
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("qa", "ingest", "api", "eval"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    env = _clean_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else setuptools warns that it cannot byte-compile
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    wheel_options = ["--no-deps", "--no-build-isolation", "--no-index", "-v"]
    done = _run([*pip, "wheel", *wheel_options, "-w", str(tmp / "dist"), "."], source, env)
    (wheel,) = (tmp / "dist").glob("yibao_qa-*.whl")
    return wheel, done.stdout + done.stderr


def test_wheel_ships_static_and_data_and_serves_the_widget(tmp_path):
    wheel, output = _build_wheel(tmp_path)
    noisy = [line for line in output.splitlines() if "warning" in line.lower()]
    noisy += [line for line in output.splitlines() if "absent" in line.lower()]
    assert not noisy, "\n".join(noisy)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert SHIPPED <= names, SHIPPED - names
    assert not any(n.startswith(("tests/", "corpus/")) or "__pycache__" in n for n in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, _clean_env())
    python = venv / "bin" / "python"
    (purelib,) = (venv / "lib").glob("python3*/site-packages")
    (purelib / "_outer_site.pth").write_text("\n".join(site.getsitepackages()) + "\n", "utf-8")
    install = ["install", "--no-deps", "--no-index", "--ignore-installed", str(wheel)]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    _run([*pip, *install], tmp_path, _clean_env())

    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    report = json.loads(_run([str(python), "-c", SERVE_WIDGET], cwd, _clean_env()).stdout)
    assert Path(report["api"]).is_relative_to(purelib), report["api"]  # not the worktree
    assert report["userdict"] and Path(report["userdict"]).is_relative_to(purelib)
    assert report["status"] == {"/": 200, "/widget.js": 200, "/favicon.ico": 200}
    widget = (ROOT / "api/static/widget.js").read_text("utf-8")
    assert widget.startswith(report["text"]["/widget.js"])
    assert "医保问答" in report["text"]["/"] and "<svg" in report["text"]["/favicon.ico"]

    help_text = _run([str(venv / "bin" / "yibao"), "--help"], cwd, _clean_env()).stdout
    assert "医保问答" in help_text and "serve" in help_text
