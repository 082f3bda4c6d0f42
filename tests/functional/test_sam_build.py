"""`sam build` of template.yaml without Docker, and what Lambda would load from its artifacts.

One build per session (SAM CLI from its own venv, .venv-sam). Each function with its layers must
fit Lambda's unzipped limit, need no newer glibc than its runtime, import its handler from the
artifacts alone, and hold exactly the versions of requirements.lock, the lock the tests run with.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from email.parser import HeaderParser
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from infra import lambda_artifact
from infra.template import Resolver, function_properties, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
# Lambda's limit on a function with all its layers, unzipped.
UNZIPPED_LIMIT = 262_144_000
# What each runtime the template may name runs on: its Python, and its OS's glibc.
RUNTIMES = {"python3.11": {"python": (3, 11), "glibc": (2, 26)}}  # Amazon Linux 2
# The environment Lambda sets besides the template's variables.
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
}

BODY = load_template()
FUNCTIONS = {name: function_properties(BODY, name) for name in resources_of_type(BODY, "AWS::Serverless::Function")}
LAYERS = list(resources_of_type(BODY, "AWS::Serverless::LayerVersion"))
BUILD_SECONDS: list[float] = []  # printed beside the sizes


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SAM.exists(), "SAM CLI has its own venv: `make test` creates .venv-sam"
    target = tmp_path_factory.mktemp("sam") / "build"
    started = time.monotonic()
    result = subprocess.run(
        [str(SAM), "build", "--template-file", "template.yaml", "--build-dir", str(target), "--parallel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        env=os.environ | {"SAM_CLI_TELEMETRY": "0"},
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "Build Succeeded" in result.stdout
    BUILD_SECONDS.append(time.monotonic() - started)
    return target


def layer_ids(function: str) -> list[str]:
    ids = []
    for layer in FUNCTIONS[function].get("Layers", []):
        assert isinstance(layer, dict) and "Ref" in layer, f"{function}: a layer this stack does not build"
        ids.append(layer["Ref"])
    return ids


def code_dirs(build_dir: Path, function: str) -> list[Path]:
    """Where Lambda finds the function's code: /var/task, then each layer's /opt/python."""
    return [build_dir / function] + [build_dir / layer / "python" for layer in layer_ids(function)]


def unzipped_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def distributions(folder: Path) -> dict[str, str]:
    """Normalised name → version of every package installed in `folder`."""
    found = {}
    for metadata in folder.glob("*.dist-info/METADATA"):
        headers = HeaderParser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
        found[lambda_artifact.normalise(headers["Name"])] = headers["Version"]
    return found


def lock_versions() -> dict[str, str]:
    versions = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==([^\s\\]+)", line)
        if match:
            versions[lambda_artifact.normalise(match.group(1))] = match.group(2)
    return versions


def glibc_needed(path: Path) -> tuple[int, ...] | None:
    """The newest GLIBC_x.y symbol version an ELF file requires, or None if it is no ELF file."""
    with path.open("rb") as handle:
        if handle.read(4) != b"\x7fELF":
            return None
        handle.seek(0)
        newest: tuple[int, ...] = (0,)
        for section in ELFFile(handle).iter_sections():
            if isinstance(section, GNUVerNeedSection):
                for _, auxiliaries in section.iter_versions():
                    for aux in auxiliaries:
                        match = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", aux.name)
                        if match:
                            newest = max(newest, tuple(int(part) for part in match.group(1).split(".")))
        return newest


def pyarrow_modules() -> set[str]:
    """Every pyarrow module chalicelib imports (some only inside functions)."""
    modules = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names if alias.name.split(".")[0] == "pyarrow"}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pyarrow":
                modules.add(node.module or "")
    return modules


def function_environment(function: str) -> dict[str, str]:
    """The template's variables for `function`, with made-up names and ARNs for its resources."""
    resources = BODY["Resources"]
    resolver = Resolver(
        BODY,
        refs={name: f"vindplaats-{name.lower()}" for name in resources},
        attributes={
            (name, attribute): f"arn:aws:test:eu-west-1:123456789012:{name.lower()}/{attribute.lower()}"
            for name in resources
            for attribute in ("Arn", "Name", "Id", "ProviderName", "ProviderURL", "QueueName", "QueueUrl")
        },
    )
    variables = FUNCTIONS[function].get("Environment", {}).get("Variables", {})
    return {name: str(value) for name, value in resolver.resolve(variables).items()}


def test_artifacts_are_built_for_the_templates_runtime_and_architecture():
    for name, properties in FUNCTIONS.items():
        assert properties["Runtime"] in RUNTIMES, name
        assert properties["Runtime"] == f"python{lambda_artifact.PYTHON_VERSION}", name
        assert properties["Architectures"] == ["x86_64"], name
        assert BODY["Resources"][name]["Metadata"]["BuildMethod"] == "makefile", name
    for name in LAYERS:
        resource = BODY["Resources"][name]
        assert resource["Properties"]["CompatibleArchitectures"] == ["x86_64"]
        assert resource["Metadata"]["BuildMethod"] == "makefile"
    assert lambda_artifact.PLATFORM.endswith("_x86_64")


def test_every_function_and_layer_is_built(build_dir: Path):
    for name, properties in FUNCTIONS.items():
        module = properties["Handler"].rsplit(".", 1)[0]
        assert (build_dir / name / f"{module}.py").is_file(), name
    for name in LAYERS:
        assert (build_dir / name / "python" / "chalicelib" / "__init__.py").is_file(), name


def runs_on(tag: str, runtime: dict) -> bool:
    """Whether a wheel tag (interpreter-abi-platform) installs on the runtime's Python and glibc."""
    interpreter, abi, platform = tag.split("-")
    python = "cp{}{}".format(*runtime["python"])
    stable_abi = abi == "abi3" and re.fullmatch(r"cp3\d+", interpreter) is not None
    if not (interpreter in (python, "py3") or (stable_abi and int(interpreter[3:]) <= int(python[3:]))):
        return False
    if platform == "any":
        return True
    legacy = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12), "manylinux2014_x86_64": (2, 17)}
    glibc = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    needed = (int(glibc.group(1)), int(glibc.group(2))) if glibc else legacy.get(platform)
    return needed is not None and needed <= runtime["glibc"]


def test_every_wheel_is_for_the_lambda_platform_not_the_host(build_dir: Path):
    runtime = RUNTIMES[FUNCTIONS[next(iter(FUNCTIONS))]["Runtime"]]
    wheels = list(build_dir.rglob("*.dist-info/WHEEL"))
    assert len(wheels) > 30
    for wheel in wheels:
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
        assert any(runs_on(tag, runtime) for tag in tags), (wheel.parent.name, tags)


def test_a_host_only_wheel_would_be_refused():
    runtime = RUNTIMES["python3.11"]
    assert runs_on("cp311-cp311-manylinux_2_17_x86_64", runtime)
    assert runs_on("cp37-abi3-manylinux2014_x86_64", runtime)
    assert runs_on("py3-none-any", runtime)
    assert not runs_on("cp311-cp311-manylinux_2_28_x86_64", runtime)  # numpy 2.3+, pyarrow 21+
    assert not runs_on("cp311-cp311-macosx_11_0_arm64", runtime)
    assert not runs_on("cp311-cp311-manylinux_2_17_aarch64", runtime)
    assert not runs_on("cp312-cp312-manylinux_2_17_x86_64", runtime)


def test_each_function_with_its_layers_fits_lambdas_unzipped_limit(build_dir: Path, capsys):
    with capsys.disabled():
        print(f"\nsam build: {BUILD_SECONDS[0]:.0f} s")
    for name in FUNCTIONS:
        size = sum(unzipped_bytes(folder) for folder in code_dirs(build_dir, name))
        with capsys.disabled():
            print(
                f"\n{name}: {size:,} bytes unzipped with its layers, "
                f"{UNZIPPED_LIMIT - size:,} bytes ({(UNZIPPED_LIMIT - size) / 2**20:.1f} MiB) under the limit"
            )
        assert size <= UNZIPPED_LIMIT, name


def test_no_shared_library_needs_a_newer_glibc_than_the_runtime(build_dir: Path):
    checked = 0
    for name, properties in FUNCTIONS.items():
        runtime_glibc = RUNTIMES[properties["Runtime"]]["glibc"]
        for folder in code_dirs(build_dir, name):
            for path in folder.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    needed = glibc_needed(path)
                    if needed is not None:
                        checked += 1
                        assert needed <= runtime_glibc, f"{path.relative_to(build_dir)} needs GLIBC {needed}"
    assert checked > 50  # pyarrow, numpy, pydantic-core, cryptography


@pytest.mark.parametrize("function", FUNCTIONS)
def test_handler_imports_from_its_artifact_alone(build_dir: Path, function: str):
    properties = FUNCTIONS[function]
    module, attribute = properties["Handler"].rsplit(".", 1)
    extra = sorted(pyarrow_modules()) if (build_dir / function / "pyarrow").is_dir() else []
    code = (
        "import importlib, sys, zoneinfo\n"
        f"sys.path[:0] = {[str(folder) for folder in code_dirs(build_dir, function)]!r}\n"
        # As on a runtime image without /usr/share/zoneinfo: the time zones come from the artifact.
        "zoneinfo.reset_tzpath(to=[])\n"
        f"handler = getattr(importlib.import_module({module!r}), {attribute!r})\n"
        "assert callable(handler)\n"
        "assert zoneinfo.ZoneInfo('Europe/Amsterdam').key == 'Europe/Amsterdam'\n"
        f"for name in {extra!r}: importlib.import_module(name)\n"
        "import json\n"
        "print(json.dumps({'version': list(sys.version_info[:2]), 'files': sorted(\n"
        "    m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None))}))\n"
    )
    environment = function_environment(function) | LAMBDA_ENVIRONMENT | {"AWS_LAMBDA_FUNCTION_NAME": function}
    # -I -S: no site-packages, no user site, no PYTHON* variables; only the standard library.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        cwd=build_dir / function,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert tuple(loaded["version"]) == RUNTIMES[properties["Runtime"]]["python"]
    outside = [
        path
        for path in loaded["files"]
        if not path.startswith(str(build_dir)) and ("site-packages" in path or path.startswith(str(ROOT)))
    ]
    assert outside == []


def test_built_versions_are_the_locks(build_dir: Path):
    lock = lock_versions()
    compared = 0
    for name in [*FUNCTIONS, *LAYERS]:
        folder = build_dir / name / ("python" if name in LAYERS else "")
        for package, version in distributions(folder).items():
            assert lock.get(package) == version, f"{name}: {package}=={version}, the lock has {lock.get(package)}"
            compared += 1
    assert compared > 30


def test_each_function_holds_what_its_requirements_and_its_layers_list(build_dir: Path):
    for name, properties in FUNCTIONS.items():
        held: dict[str, str] = {}
        for folder in code_dirs(build_dir, name):
            held |= distributions(folder)
        code_uri = ROOT / properties["CodeUri"]
        own = code_uri / "requirements.txt"
        wanted = lambda_artifact.requested(own) if own.exists() else set()
        wanted |= lambda_artifact.requested(ROOT / "layer-requirements.txt")
        assert wanted <= held.keys(), f"{name} lacks {sorted(wanted - held.keys())}"
        assert {"boto3", "botocore"} <= held.keys(), name  # pinned in the layer, not the runtime's


@pytest.mark.parametrize(("function", "own"), [("ApiFunction", "chalice"), ("NotifyFunction", "app.py")])
def test_the_api_and_notify_artifacts_hold_no_pyarrow_or_numpy(build_dir: Path, function: str, own: str):
    held: set[str] = set()
    for folder in code_dirs(build_dir, function):
        held |= distributions(folder).keys() | {path.name for path in folder.iterdir()}
    assert not held & {"pyarrow", "numpy", "numpy.libs", "pyarrow.libs"}
    assert own in held
