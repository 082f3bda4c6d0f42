"""Where the `vindplaats` commands act: the running local stack, or AWS.

`vindplaats up` writes the local stack's environment to a state file; the other commands read
it. Without one, they act on AWS when the VINDPLAATS_* variables are set (as template.yaml
sets them for the functions), and otherwise say how to start the local stack.
"""

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import boto3

from chalicelib.bootstrap import Aws
from chalicelib.config import Settings


def state_file() -> Path:
    default = Path.home() / ".cache" / "vindplaats" / "stack.json"
    return Path(os.environ.get("VINDPLAATS_STATE", default))


class NoTarget(RuntimeError):
    """Neither a running local stack nor AWS settings."""


@dataclass(frozen=True)
class Target:
    """The settings and AWS endpoint of the stack the commands act on (chalicelib.bootstrap
    builds the same adapters from them as the functions do)."""

    env: dict[str, str]

    @property
    def settings(self) -> Settings:
        prefix = "VINDPLAATS_"
        values = {key[len(prefix) :].lower(): value for key, value in self.env.items() if key.startswith(prefix)}
        return Settings.model_validate({name: value for name, value in values.items() if name in Settings.model_fields})

    @cached_property
    def aws(self) -> Aws:
        session = boto3.session.Session(
            aws_access_key_id=self.env.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=self.env.get("AWS_SECRET_ACCESS_KEY"),
            region_name=self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION"),
        )
        return Aws(session, self.env.get("AWS_ENDPOINT_URL"))

    def client(self, service: str):
        return self.aws.client(service)

    def resource(self, service: str):
        return self.aws.resource(service)


def save_local(env: dict[str, str], pid: int) -> Path:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "env": env}, indent=2))
    path.chmod(0o600)
    return path


def clear_local(pid: int) -> None:
    path = state_file()
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (FileNotFoundError, json.JSONDecodeError):
        pass


def current() -> Target:
    """The running local stack, else AWS from the environment."""
    path = state_file()
    if path.exists():
        state = json.loads(path.read_text())
        if _alive(state.get("pid", -1)):
            return Target(dict(state["env"]))
    required = [name for name, field in Settings.model_fields.items() if field.is_required()]
    if all(f"VINDPLAATS_{name.upper()}" in os.environ for name in required):
        return Target(dict(os.environ))
    raise NoTarget(
        "Geen lokale stack gevonden: start die met `vindplaats up` (of `make demo`) in een ander venster, "
        "of zet de VINDPLAATS_* variabelen en AWS-gegevens om AWS te gebruiken."
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True
