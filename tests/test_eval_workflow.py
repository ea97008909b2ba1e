"""The eval gate workflow (.github/workflows/eval.yml): its shape, and its ingest and gate steps run here as
written, on a small team corpus with its own questions and thresholds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from evals.run import parse_args
from tests.conftest import GUIDANCE, ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "eval.yml"


def workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def steps() -> dict[str, dict[str, Any]]:
    return {s.get("name", s.get("uses", "")): s for s in workflow()["jobs"]["eval"]["steps"]}


def step_script(fragment: str) -> str:
    return next(s["run"] for name, s in steps().items() if fragment in name and "run" in s)


def test_workflow_can_be_called_by_other_repositories_and_pins_torch_first() -> None:
    triggers = workflow()[True]  # YAML reads the `on:` key as True
    assert {"questions", "corpus", "thresholds", "assistant-repository"} <= set(triggers["workflow_call"]["inputs"])
    install = step_script("Install")
    torch_at = install.index("torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu")
    assert torch_at < install.index('pip install "./$ASSISTANT_DIR"')
    upload = next(s for s in steps().values() if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "eval-report"
    assert workflow()["jobs"]["eval"]["env"]["REPORT_DIR"] == "eval-report"


def test_eval_command_uses_options_evals_knows() -> None:
    script = step_script("gate")
    assert "--gate" in script and "--thresholds" in script and "--corpus" in script and "--questions" in script
    args = parse_args(
        [
            *("--questions", "q.jsonl", "--thresholds", "t.toml", "--backend", "quote", "--out", "r"),
            *("--quiet", "--gate", "--corpus", "a", "--corpus", "b", "--no-baseline"),
        ]
    )
    assert args.gate and args.corpus == [Path("a"), Path("b")] and args.no_baseline


def team_workspace(tmp_path: Path, minimum_recall: float) -> tuple[Path, dict[str, str]]:
    """A team's checkout: two SOPs, three questions, a thresholds file, and cmo-assistant beside them."""
    work = tmp_path / "team"
    (work / "docs" / "sops").mkdir(parents=True)
    for name in ("04-quality-agreements.md", "06-batch-release-and-owner-responsibilities.md"):
        shutil.copy(GUIDANCE / name, work / "docs" / "sops" / name)
    (work / ".cmo-assistant").symlink_to(ROOT)
    (work / "qa").mkdir()
    rows = [
        {
            "id": "q1",
            "kind": "fact",
            "question": "Who releases a batch made by a contract manufacturer?",
            "sources": [{"source": "docs/sops/06-batch-release-and-owner-responsibilities.md"}],
        },
        {
            "id": "q2",
            "kind": "fact",
            "question": "What must a quality agreement cover?",
            "sources": [{"source": "docs/sops/04-quality-agreements.md"}],
        },
        {"id": "q3", "kind": "unanswerable", "question": "What is the capital of Peru?", "expect": "refuse"},
    ]
    (work / "qa" / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (work / "qa" / "thresholds.toml").write_text(f"[quote]\nrecall_at_5 = {minimum_recall}\ncitation_validity = 1.0\n")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),  # the code under test (CI installs it with pip instead)
        "QUESTIONS": "qa/questions.jsonl",
        "CORPUS": "docs/sops",
        "THRESHOLDS": "qa/thresholds.toml",
        "BACKEND": "quote",
        "BASELINE": "no",
        "ASSISTANT_DIR": ".cmo-assistant",
        "REPORT_DIR": "eval-report",
        "RUNNER_TEMP": str(tmp_path / "runner"),
    }
    return work, env


def run_step(fragment: str, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's script the way GitHub runs it (`bash -e`)."""
    return subprocess.run(
        ["bash", "-e", "-c", step_script(fragment)], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_ingest_and_gate_steps_pass_and_fail_as_written(tmp_path: Path) -> None:
    work, env = team_workspace(tmp_path / "pass", minimum_recall=0.9)
    ingested = run_step("Ingest", work, env)
    assert ingested.returncode == 0, ingested.stderr
    assert "docs/sops/04-quality-agreements.md" in ingested.stdout and "2 documents" in ingested.stdout
    gated = run_step("gate", work, env)
    assert gated.returncode == 0, gated.stderr + gated.stdout
    assert "gate [quote]: pass" in gated.stdout
    assert sorted(p.suffix for p in (work / "eval-report").iterdir()) == [".json", ".md", ".png"]

    strict, env = team_workspace(tmp_path / "fail", minimum_recall=1.01)  # no run can reach it
    assert run_step("gate", strict, env).returncode == 1

    (work / "docs" / "sops" / "broken.pdf").write_bytes(b"%PDF-1.7\nnot a pdf\n%%EOF\n")
    broken = run_step("Ingest", work, {**env, "RUNNER_TEMP": str(tmp_path / "runner2")})
    assert broken.returncode == 1 and "broken.pdf" in broken.stderr
