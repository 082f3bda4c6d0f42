"""checkov over template.yaml: no failed check, and every skipped one says why next to it."""

import json
import subprocess
from pathlib import Path

from infra.template import load_template

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def test_checkov_finds_no_failed_check():
    assert CHECKOV.exists(), "checkov has its own venv: `make test` creates .venv-checkov"
    result = subprocess.run(
        [
            str(CHECKOV),
            "-f",
            "template.yaml",
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 30


def test_every_checkov_skip_carries_a_reason():
    resources = load_template()["Resources"]
    skips = [
        (name, skip)
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert len(skip.get("comment", "")) > 30, f"{name} skips {skip['id']} without a reason"
