"""The one command line (`newslabel`, with `python -m src.NAME` as aliases) and where it finds the project."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
from _trained import REPO
from typer.testing import CliRunner

from newslabel.cli.main import app
from newslabel.config import project_root

COMMANDS = ["passages", "label", "benchmark", "train", "dataset", "serve"]
PAGE = "Harbour Post\nCouncil backs the new sea wall\nThe council voted on Monday to build the wall before winter.\n"


def test_one_entry_point_with_every_command():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"newslabel": "newslabel.cli.main:run"}
    out = CliRunner().invoke(app, ["--help"]).output
    assert [c for c in COMMANDS if f"\n  {c} " in out] == COMMANDS


def test_passages_through_the_cli_and_its_alias_agree(tmp_path):
    (tmp_path / "page.txt").write_text(PAGE, encoding="utf-8")
    res = CliRunner().invoke(app, ["passages", str(tmp_path / "page.txt"), "--out", str(tmp_path / "a.jsonl")])
    assert res.exit_code == 0, res.output
    alias = subprocess.run([sys.executable, "-m", "src.passages", str(tmp_path / "page.txt"), "--out",
                            str(tmp_path / "b.jsonl")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert alias.returncode == 0, alias.stderr
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [(r["line"], r["text"]) for r in rows] == [(1, "Harbour Post"), (2, "Council backs the new sea wall"),
                                                      (3, "The council voted on Monday to build the wall before winter.")]
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()


def test_train_takes_hydra_overrides():
    res = subprocess.run([sys.executable, "-m", "src.train", "task=bias", "model.C=3", "--cfg", "job"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "names:\n  - bias" in res.stdout and "  C: 3" in res.stdout


def test_the_project_is_found_from_below_it_and_from_newslabel_home(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSLABEL_HOME", raising=False)
    monkeypatch.chdir(REPO / "tests" / "fixtures")
    assert project_root() == REPO
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "train.yaml").write_text("{}\n")
    monkeypatch.chdir(tmp_path / "configs")
    assert project_root() == tmp_path
    monkeypatch.setenv("NEWSLABEL_HOME", str(REPO))
    assert project_root() == REPO


def test_outside_any_project_the_checkout_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSLABEL_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_root() == REPO  # an editable install falls back on its own checkout


@pytest.mark.parametrize("alias", ["label", "serve", "benchmark"])
def test_each_alias_prints_its_own_usage(alias):
    res = subprocess.run([sys.executable, "-m", f"src.{alias}", "--help"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0 and res.stdout.startswith(f"Usage: python -m src.{alias} [OPTIONS]"), res.stdout
