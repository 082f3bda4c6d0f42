"""`vindplaats run`: a folder of deliveries through the real path on a fresh local stack, then the
monthly workflow for one as-of date, with the reports and the cases written as JSON.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from chalicelib.domain.cases import Case
from chalicelib.domain.reference import parse_reference_csv
from chalicelib.domain.registry import parse_registry_toml
from chalicelib.domain.report import Report, Status, finding
from infra import actions
from infra.local.target import Target


@dataclass(frozen=True)
class RunArguments:
    deliveries: Path
    registry: Path
    reference: Path
    as_of: date
    out: Path


class BadArguments(ValueError):
    """Something the operator gave cannot be used; the message says what."""


def check(arguments: RunArguments) -> None:
    """Refuse unusable arguments before starting anything (exit status 2 with the reason)."""
    if not arguments.deliveries.is_dir():
        raise BadArguments(f"map met leveringen niet gevonden: {arguments.deliveries}")
    for path in (arguments.registry, arguments.reference):
        if not path.is_file():
            raise BadArguments(f"bestand niet gevonden: {path}")
    parse_registry_toml(arguments.registry.read_text(encoding="utf-8"))
    parse_reference_csv(arguments.reference.read_bytes())
    if arguments.out.exists() and not arguments.out.is_dir():
        raise BadArguments(f"--out is geen map: {arguments.out}")


def report_json(report: Report) -> dict:
    """matching.md's per-file report: status, counts, errors {line, column, code, message}, warnings."""
    data = report.model_dump(mode="json")
    return {
        "status": data["status"],
        "counts": data["counts"],
        "errors": ([data["rejection"]] if data["rejection"] else []) + data["errors"],
        "warnings": data["warnings"],
        "peildatum": data["peildatum"],
    }


def case_json(case: Case) -> dict:
    """matching.md's case object for cases.json."""
    return {
        "id": case.id,
        "gemeente": case.gemeente,
        "wijk": case.wijk.code,
        "wijknaam": case.wijk.naam,
        "buurt": case.buurt.code,
        "buurtnaam": case.buurt.naam,
        "adres": {
            "postcode": case.adres.postcode,
            "huisnummer": case.adres.huisnummer,
            "huisletter": case.adres.huisletter,
            "toevoeging": case.adres.toevoeging,
        },
        "leveranciers": [
            {
                "id": signal.leverancier,
                "naam": signal.leverancier_naam,
                "klantnummer": signal.klantnummer,
                "bedrag": _euro(signal.bedrag),
                "sinds": signal.achterstand_sinds.isoformat(),
                "peildatum": signal.peildatum.isoformat(),
                "signaaltype": signal.signaaltype,
                "crisis": signal.crisis,
            }
            for signal in case.signalen
        ],
        "aantal_leveranciers": case.aantal_leveranciers,
        "totaal_bedrag": _euro(case.totaal_bedrag),
        "oudste_achterstand": case.oudste_achterstand.isoformat(),
        "herhaald": case.herhaald,
        "crisis": case.crisis,
    }


def _euro(amount: Decimal) -> float:
    return float(Decimal(amount).quantize(Decimal("0.01")))


def _unknown_supplier(leverancier: str, path: Path) -> Report:
    """What ingest reports for a supplier the registry does not know, without uploading."""
    return Report(
        leverancier=leverancier,
        levering="-",
        bestand=path.name,
        status=Status.REJECTED,
        rejection=finding("leverancier_unknown"),
    )


def run(arguments: RunArguments, say: Callable[[str], None] = print) -> int:
    """Deliver, match, write OUT/reports/<leverancier>/<file>.json and OUT/cases.json."""
    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.runs import DynamoRunRegistry
    from infra.local.driver import local_workflow
    from infra.local.runtime import REPLAY_DATE, LocalRuntime
    from infra.local.stack import LocalStack

    check(arguments)
    files = list(actions.deliveries(arguments.deliveries))
    environment = {
        REPLAY_DATE: arguments.as_of.isoformat(),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    say(f"lokale stack start ({len(files)} leveringen, peildatum-venster tot {arguments.as_of})")
    with LocalStack(queue_visibility_timeout=2, environment=environment) as stack:
        runtime = LocalRuntime(stack, wait_time_seconds=0)
        target = Target(stack.env("IngestFunction"))
        registry = actions.registry_import(target, arguments.registry)
        say(f"  register: {len(registry.gemeenten)} gemeenten, {len(registry.leveranciers)} leveranciers")
        say(f"  adrestabel: {actions.reference_import(target, arguments.reference)} regels")
        reports_dir = arguments.out / "reports"
        for index, (leverancier, path) in enumerate(files, 1):
            if registry.leverancier(leverancier) is None:
                report = _unknown_supplier(leverancier, path)
            else:
                delivered = actions.upload(target, leverancier, path)
                report = actions.wait_for_reports(target, [delivered], timeout=300, pump=lambda: runtime.poll_once(0))[
                    delivered
                ]
            destination = reports_dir / leverancier / f"{path.name}.json"
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n")
            say(f"  [{index}/{len(files)}] {leverancier}/{path.name}: {actions.describe(report)}")
        say(f"matching voor {arguments.as_of} ...")
        output = local_workflow(stack, runtime.invoke).run({"as_of": arguments.as_of.isoformat()})
        settings = target.settings
        runs = DynamoRunRegistry(target.resource("dynamodb").Table(settings.cases_table))
        latest = runs.latest()
        store = S3CaseStore(target.client("s3"), target.client("kms"), settings.vault_bucket, settings.vault_key_id)
        cases = [
            case_json(case)
            for gemeente in sorted(g.code for g in registry.gemeenten)
            for case in (store.cases(latest.run_id, gemeente) if latest and latest.run_id == output["run_id"] else [])
        ]
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=2) + "\n")
    say(f"{len(cases)} cases in {arguments.out / 'cases.json'}; rapporten in {reports_dir}")
    return 0
