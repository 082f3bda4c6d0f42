"""What SAM builds must pin the same versions as the lock the tests run with."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s\\]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_function_and_layer_requirements_match_the_lock():
    lock = _pins(ROOT / "requirements.lock")
    for path in [ROOT / "layer-requirements.txt", *ROOT.glob("functions/*/requirements.txt")]:
        pins = _pins(path)
        assert pins, path
        for name, version in pins.items():
            assert lock.get(name) == version, f"{path.name}: {name}=={version}, lock has {lock.get(name)}"


def _run_time_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower() for spec in project["dependencies"]}


def test_what_the_functions_and_layer_pin_is_a_run_time_dependency():
    dependencies = _run_time_dependencies()
    for path in [ROOT / "layer-requirements.txt", *ROOT.glob("functions/*/requirements.txt")]:
        assert set(_pins(path)) <= dependencies, path.name


def test_run_time_dependencies_leave_the_local_stack_and_the_tools_out():
    assert not _run_time_dependencies() & {"moto", "duckdb", "sqlglot", "pytest", "openapi-spec-validator"}


def test_layer_leaves_pyarrow_out():
    assert "pyarrow" not in _pins(ROOT / "layer-requirements.txt")


def test_match_functions_import_nothing_their_package_lacks():
    import subprocess
    import sys

    code = (
        "import sys, importlib.util; sys.path.insert(0, 'functions/match');"
        "spec = importlib.util.spec_from_file_location('match_app', 'functions/match/app.py');"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module);"
        "import chalicelib.services.workflow, chalicelib.bootstrap;"
        "print(sorted(name for name in ('duckdb', 'sqlglot', 'moto') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_artifact_gets_what_the_lock_records_its_packages_need():
    from infra.lambda_artifact import closure, read_lock

    pins = read_lock()
    boto3 = {"boto3", "botocore", "jmespath", "s3transfer", "python-dateutil", "six", "urllib3"}
    assert closure({"boto3"}, pins) == boto3
    assert {"cffi", "pycparser"} <= closure({"cryptography"}, pins)
    assert closure({"pyarrow"}, pins) == {"pyarrow"}
    assert all(pin.lines[1].strip().startswith("--hash=sha256:") for pin in pins.values())


def test_notify_function_imports_neither_pyarrow_nor_numpy():
    import subprocess
    import sys

    code = (
        "import sys, importlib.util, os;"
        "os.environ.setdefault('POWERTOOLS_METRICS_NAMESPACE', 'Vindplaats');"
        "spec = importlib.util.spec_from_file_location('notify_app', 'functions/notify/app.py');"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module);"
        "import chalicelib.services.notify, chalicelib.adapters.aws.outbox, chalicelib.adapters.aws.mail;"
        "import chalicelib.adapters.aws.reports, chalicelib.adapters.aws.registry;"
        "print(sorted(name for name in ('pyarrow', 'numpy', 'duckdb', 'moto') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    # No packages of its own: SAM builds it without a requirements.txt; the layer brings the rest.
    assert not (ROOT / "functions/notify/requirements.txt").exists()
