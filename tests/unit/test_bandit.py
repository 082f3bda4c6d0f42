"""quality.md: bandit reports no high-severity finding in the project's code."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("chalicelib", "functions", "infra", "benchmarks")


def _bandit(*paths: str | Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "-f", "json", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(result.stdout)


def _high(report: dict) -> list[str]:
    return [
        f"{found['filename']}:{found['line_number']} {found['test_id']} {found['issue_text']}"
        for found in report["results"]
        if found["issue_severity"] == "HIGH"
    ]


def test_the_project_has_no_high_severity_bandit_finding():
    report = _bandit(*SCANNED)
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it read the code, not an empty tree
    assert _high(report) == []


def test_the_check_sees_a_high_severity_finding(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import subprocess\n\ndef run(command):\n    return subprocess.call(command, shell=True)\n")
    assert [line.split()[1] for line in _high(_bandit(bad))] == ["B602"]
