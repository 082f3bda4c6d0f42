"""template.yaml as data: a loader for CloudFormation short tags and a small intrinsic resolver.

The local stack and the local runtime read the template through this module, so the resources
they create and the wiring they follow cannot drift from what is deployed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from copy import deepcopy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"

LOCAL_STACK_NAME = "vindplaats"
LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_REGION = "eu-west-1"

# Short tags whose long form is not "Fn::<Tag>".
_LONG_FORMS = {"Ref": "Ref", "Condition": "Condition"}


class UnresolvedIntrinsic(ValueError):
    """An intrinsic function the resolver cannot evaluate with what it was given."""


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads `!Ref`, `!Sub`, `!GetAtt`, ... into their long JSON forms.

    Timestamps stay strings, as CloudFormation reads them (`Version: 2012-10-17`).
    """


CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _LONG_FORMS.get(tag_suffix, f"Fn::{tag_suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template; short tags become their long forms."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=CfnLoader)


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> dict[str, Any]:
    return load_template(path)


def template(path: Path | str = TEMPLATE_PATH) -> dict[str, Any]:
    """The parsed template, cached while the file is unchanged. Callers must not mutate it."""
    return _cached(str(path), Path(path).stat().st_mtime)


def resources_of_type(body: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id → resource for every resource of `resource_type`, in template order."""
    return {
        logical_id: resource
        for logical_id, resource in body.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def function_properties(body: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A serverless function's properties with `Globals.Function` merged in, as SAM merges them.

    Maps merge key by key (the function wins), lists concatenate, scalars are overridden.
    """
    globals_ = body.get("Globals", {}).get("Function", {})
    own = body["Resources"][logical_id].get("Properties", {})
    return _merge(deepcopy(globals_), deepcopy(own))


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        if _is_intrinsic(base) or _is_intrinsic(override):
            return override
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def references(value: Any) -> set[str]:
    """Logical ids (and parameter names) that `value` refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if _is_intrinsic(value):
            ((name, arg),) = value.items()
            if name == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif name == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".", 1)[0])
            elif name == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                found |= {
                    v.split(".", 1)[0]
                    for v in _SUB_VARIABLE.findall(text)
                    if not v.startswith("!") and v not in variables
                }
                found |= references(variables)
            else:
                found |= references(arg)
        else:
            for item in value.values():
                found |= references(item)
    return {name for name in found if not name.startswith("AWS::")}


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NO_VALUE = object()


class Resolver:
    """Evaluates intrinsics for one stack: Ref, Sub, GetAtt, Join, Select, Split, If and conditions.

    `refs` maps a resource's logical id to what `!Ref` returns for it; `attributes` maps
    (logical id, attribute) to what `!GetAtt` returns. Both may be filled in as resources are
    created. Anything else raises `UnresolvedIntrinsic`.
    """

    def __init__(
        self,
        body: Mapping[str, Any],
        *,
        stack_name: str = LOCAL_STACK_NAME,
        account_id: str = LOCAL_ACCOUNT_ID,
        region: str = LOCAL_REGION,
        parameters: Mapping[str, Any] | None = None,
        refs: dict[str, Any] | None = None,
        attributes: dict[tuple[str, str], Any] | None = None,
    ) -> None:
        self.body = body
        self.pseudo = {
            "AWS::StackName": stack_name,
            "AWS::AccountId": account_id,
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local"),
        }
        self.parameters = {
            name: spec["Default"] for name, spec in body.get("Parameters", {}).items() if "Default" in spec
        } | dict(parameters or {})
        self.refs: dict[str, Any] = refs if refs is not None else {}
        self.attributes: dict[tuple[str, str], Any] = attributes if attributes is not None else {}

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated; `AWS::NoValue` entries are dropped."""
        resolved = self._resolve(value)
        if resolved is _NO_VALUE:
            raise UnresolvedIntrinsic("AWS::NoValue at the top level")
        return resolved

    def condition(self, name: str) -> bool:
        try:
            return bool(self._resolve(self.body["Conditions"][name]))
        except KeyError as exc:
            raise UnresolvedIntrinsic(f"unknown condition {name}") from exc

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self._resolve, value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if not _is_intrinsic(value):
            resolved = {key: self._resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not _NO_VALUE}
        ((name, arg),) = value.items()
        handler = getattr(self, "_fn_" + name.removeprefix("Fn::").lower(), None)
        if handler is None:
            raise UnresolvedIntrinsic(f"{name} is not supported locally")
        return handler(arg)

    def _fn_ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        for source in (self.pseudo, self.parameters, self.refs):
            if name in source:
                return source[name]
        raise UnresolvedIntrinsic(f"!Ref {name}: no value known")

    def _fn_getatt(self, arg: list[str] | str) -> Any:
        logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        try:
            return self.attributes[(logical_id, self._resolve(attribute))]
        except KeyError as exc:
            raise UnresolvedIntrinsic(f"!GetAtt {logical_id}.{attribute}: no value known") from exc

    def _fn_sub(self, arg: str | list[Any]) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self._resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._fn_getatt(name))
            return str(self._fn_ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, arg: list[Any]) -> str:
        delimiter, items = arg
        return str(delimiter).join(str(item) for item in self._resolve(items))

    def _fn_select(self, arg: list[Any]) -> Any:
        index, items = arg
        return self._resolve(items)[int(self._resolve(index))]

    def _fn_split(self, arg: list[Any]) -> list[str]:
        delimiter, text = arg
        return str(self._resolve(text)).split(delimiter)

    def _fn_if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self._resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: list[Any]) -> bool:
        left, right = self._resolve(arg)
        return str(left) == str(right)

    def _fn_not(self, arg: list[Any]) -> bool:
        return not self._resolve(arg[0])

    def _fn_and(self, arg: list[Any]) -> bool:
        return all(self._resolve(arg))

    def _fn_or(self, arg: list[Any]) -> bool:
        return any(self._resolve(arg))

    def _fn_condition(self, name: str) -> bool:
        return self.condition(name)
