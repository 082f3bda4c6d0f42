"""One ingest in a fresh interpreter, its peak RSS printed with its outcome as the last line (JSON),
so that a test can hold the memory of ingesting a hostile file against the function's size.

    python -m tests.corpus.peak service FILE SIGNAALTYPE MAX_FOUT_PERCENTAGE
        the ingest service on FILE, with the upload read from disk, S3 and KMS faked
    python -m tests.corpus.peak handler < EVENT.json
        the ingest function's handler on a Lambda SQS event, in the environment it is given
        (a local stack's), as Lambda would run it
"""

import importlib.util
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from tests.corpus.measured import CountingS3, FileUploads, peak_rss_mb

ROOT = Path(__file__).resolve().parents[2]


def service(path: Path, signaaltype: str, max_fout: float) -> dict:
    from chalicelib.adapters.aws.lake import S3Lake
    from chalicelib.adapters.aws.vault import KmsVault
    from chalicelib.domain.reference import parse_reference_csv
    from chalicelib.domain.registry import Leverancier
    from chalicelib.domain.signals import Pseudonymiser
    from chalicelib.services.ingest import IngestDeps, Upload, ingest_upload
    from tests.fakes import FakeKms

    supplier = Leverancier(id="hostile", naam="hostile", signaaltype=signaaltype, max_fout_percentage=max_fout)
    reference = parse_reference_csv(
        b"postcode,huisnummer,gemeentecode,wijkcode,wijknaam,buurtcode,buurtnaam\n"
        b"6811AB,,GM0202,WK020201,Centrum,BU02020101,Binnenstad\n"
    )
    s3, reports = CountingS3(), []
    deps = IngestDeps(
        uploads=FileUploads(path),
        lake=S3Lake(s3, "lake"),
        reports=SimpleNamespace(write=reports.append, read=lambda *_: None),  # type: ignore[arg-type]
        vault=KmsVault(s3, FakeKms(), "vault", "key"),
        registry=SimpleNamespace(registry=lambda: SimpleNamespace(leverancier=lambda _: supplier)),  # type: ignore[arg-type]
        reference=SimpleNamespace(reference=lambda: reference),  # type: ignore[arg-type]
        pseudonymiser=Pseudonymiser(b"k" * 32),
    )
    when = datetime(2026, 11, 3, 9, tzinfo=UTC)
    report = ingest_upload(
        Upload("incoming/hostile/20261103T090000000000-abcd1234/levering.csv", when),
        deps,
        upload_date=date(2026, 11, 3),
        today=date(2026, 11, 3),
    )
    return {"peak_rss_mb": peak_rss_mb(), "report": json.loads(report.model_dump_json()), "stored": sorted(s3.sizes)}


def handler(event: dict) -> dict:
    from infra.local.runtime import LambdaContext

    path = ROOT / "functions" / "ingest" / "app.py"
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("ingest_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the handler's annotations through it
    spec.loader.exec_module(module)
    context = LambdaContext(
        function_name="IngestFunction",
        memory_limit_in_mb=int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")),
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:IngestFunction",
        timeout_seconds=300,
    )
    response = module.handler(event, context)
    return {"peak_rss_mb": peak_rss_mb(), "response": response}


def main() -> None:
    kind, *rest = sys.argv[1:]
    result = service(Path(rest[0]), rest[1], float(rest[2])) if kind == "service" else handler(json.load(sys.stdin))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
