"""The `vindplaats` command: the local stack, registry and reference imports, uploads, users and
the audit log (on the local stack or on AWS, as `infra.local.target.current()` says)."""

import argparse
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path

from chalicelib.domain.identity import Role
from chalicelib.domain.reference import AddressReferenceError
from chalicelib.domain.registry import RegistryError, parse_registry_toml
from infra import actions
from infra.local.target import NoTarget, clear_local, current, save_local

DEFAULT_AWS_PORT = 4566
DEFAULT_API_PORT = 8000
DEMO_DIR = Path(".vindplaats") / "demo"
MAILBOX_DIR = Path(".vindplaats") / "mailbox"
DEMO_SEED = 2026


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except (NoTarget, RegistryError, AddressReferenceError, FileNotFoundError, ValueError) as exc:
        # BadArguments is a ValueError: bad input says what is wrong and exits 2.
        print(f"vindplaats: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal failure: say so plainly, without a stack trace
        print(f"vindplaats: interne fout ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    # No abbreviations: `--demo` must never be taken for `--demo-dir`.
    parser = argparse.ArgumentParser(
        prog="vindplaats", description="Vroegsignalering schulden: lokale stack en beheer.", allow_abbrev=False
    )
    commands = parser.add_subparsers(title="commands")

    up = commands.add_parser("up", allow_abbrev=False, help="start de lokale stack (moto, handlers) en laad demodata")
    up.add_argument("--no-demo", dest="demo", action="store_false", help="start leeg, zonder demodata")
    up.add_argument(
        "--aws-port", type=int, default=DEFAULT_AWS_PORT, help=f"poort van de lokale AWS (standaard {DEFAULT_AWS_PORT})"
    )
    up.add_argument(
        "--port",
        type=int,
        default=DEFAULT_API_PORT,
        help=f"poort van de API en de webpagina (standaard {DEFAULT_API_PORT})",
    )
    up.add_argument("--once", action="store_true", help="stop na het laden in plaats van te blijven draaien")
    up.add_argument("--demo-dir", type=Path, default=DEMO_DIR, help="waar de demodata wordt geschreven")
    up.add_argument(
        "--mailbox-dir", type=Path, default=MAILBOX_DIR, help="waar de verstuurde e-mails (.eml) komen te staan"
    )
    _demo_dates(up)
    up.set_defaults(run=_up)

    registry = commands.add_parser(
        "registry", allow_abbrev=False, help="het register van gemeenten, leveranciers en convenanten"
    )
    registry_commands = registry.add_subparsers(title="registry commands")
    registry_import = registry_commands.add_parser("import", allow_abbrev=False, help="laad een register (TOML) in")
    registry_import.add_argument("file", type=Path)
    registry_import.set_defaults(run=_registry_import)
    registry_check = registry_commands.add_parser(
        "check", allow_abbrev=False, help="controleer een register (TOML) zonder het te laden"
    )
    registry_check.add_argument("file", type=Path)
    registry_check.set_defaults(run=_registry_check)

    reference = commands.add_parser(
        "reference", allow_abbrev=False, help="de adrestabel (postcode-huisnummer naar buurt, wijk, gemeente)"
    )
    reference_commands = reference.add_subparsers(title="reference commands")
    reference_import = reference_commands.add_parser("import", allow_abbrev=False, help="laad een adrestabel (CSV) in")
    reference_import.add_argument("file", type=Path)
    reference_import.set_defaults(run=_reference_import)

    login = commands.add_parser(
        "login", allow_abbrev=False, help="meld een gebruiker aan op de lokale stack; print het ID-token"
    )
    login.add_argument("username", help="bijvoorbeeld coordinator-gm0202 (zie `vindplaats up`)")
    login.add_argument("--password", help="standaard het demo-wachtwoord")
    login.set_defaults(run=_login)

    upload = commands.add_parser("upload", allow_abbrev=False, help="lever een bestand aan via een presigned upload")
    upload.add_argument("file", type=Path)
    upload.add_argument("--leverancier", required=True, help="leverancier-id uit het register")
    upload.add_argument("--wait", type=float, default=60.0, help="seconden wachten op het rapport (0: niet wachten)")
    upload.set_defaults(run=_upload)

    run = commands.add_parser(
        "run", allow_abbrev=False, help="leveringen aanbieden en matchen op een verse lokale stack; cases als JSON"
    )
    run.add_argument("deliveries", type=Path, help="map met <leverancier-id>/*.csv")
    run.add_argument("--registry", type=Path, required=True, help="register (TOML)")
    run.add_argument("--reference", type=Path, required=True, help="adrestabel (CSV)")
    run.add_argument("--as-of", type=date.fromisoformat, required=True, help="peildatum van de run, JJJJ-MM-DD")
    run.add_argument("--out", type=Path, required=True, help="map voor reports/ en cases.json")
    run.set_defaults(run=_run)

    users = commands.add_parser("users", allow_abbrev=False, help="gebruikers in de user pool (lokaal of AWS)")
    users_commands = users.add_subparsers(title="users commands")
    users_create = users_commands.add_parser(
        "create", allow_abbrev=False, help="maak een gebruiker met zijn rol en zijn (onveranderlijke) tenant"
    )
    users_create.add_argument("username")
    users_create.add_argument("--rol", required=True, choices=[role.value for role in Role])
    users_create.add_argument("--email", required=True)
    users_create.add_argument("--naam", required=True, help="weergavenaam")
    users_create.add_argument("--gemeente", help="gemeentecode (coordinator, wijkteam), bijvoorbeeld GM0202")
    users_create.add_argument("--team", help="wijkteam (alleen rol wijkteam)")
    users_create.add_argument("--leverancier", help="leverancier-id uit het register (alleen rol leverancier)")
    users_create.add_argument(
        "--geen-uitnodiging", dest="invite", action="store_false", help="stuur geen e-mail met tijdelijk wachtwoord"
    )
    users_create.set_defaults(run=_users_create)
    users_list = users_commands.add_parser("list", allow_abbrev=False, help="alle gebruikers met rol en tenant")
    users_list.set_defaults(run=_users_list)

    rerun = commands.add_parser(
        "rerun", allow_abbrev=False, help="start de maandelijkse run opnieuw voor een peildatum (op AWS)"
    )
    rerun.add_argument("--as-of", type=date.fromisoformat, required=True, help="peildatum van de run, JJJJ-MM-DD")
    rerun.set_defaults(run=_rerun)

    audit = commands.add_parser("audit", allow_abbrev=False, help="het auditlog lezen (inzageverzoek)")
    audit_commands = audit.add_subparsers(title="audit commands")
    audit_case = audit_commands.add_parser(
        "case", allow_abbrev=False, help="wie zag de gegevens achter deze cases (een id per run), en welke exports"
    )
    audit_case.add_argument("case_ids", nargs="+", metavar="CASE_ID")
    audit_case.add_argument("--gemeente", required=True, help="de gemeente van de cases, bijvoorbeeld GM0202")
    audit_case.add_argument("--van", type=date.fromisoformat, required=True, help="eerste dag, JJJJ-MM-DD")
    audit_case.add_argument("--tot", type=date.fromisoformat, default=None, help="laatste dag (standaard vandaag)")
    audit_case.add_argument("--json", action="store_true", help="een JSON-regel per gebeurtenis")
    audit_case.set_defaults(run=_audit_case)

    status = commands.add_parser(
        "status", allow_abbrev=False, help="leveranciers met een convenant die 35 dagen niet leverden"
    )
    status.add_argument("--vandaag", type=date.fromisoformat, default=None, help="peildag (standaard vandaag)")
    status.set_defaults(run=_status)

    export = commands.add_parser("export", allow_abbrev=False, help="exporteer gegevens van een gemeente")
    export_commands = export.add_subparsers(title="export commands")
    ddas = export_commands.add_parser(
        "ddas",
        allow_abbrev=False,
        help="signalen en zaken van een periode in het DDAS-uitwisselformaat v1.2 (JSON); vastgelegd in de auditlog",
    )
    ddas.add_argument("--gemeente", required=True, help="CBS-gemeentecode, bijvoorbeeld GM0202")
    ddas.add_argument("--van", type=date.fromisoformat, required=True, help="eerste peildatum van de runs, JJJJ-MM-DD")
    ddas.add_argument("--tot", type=date.fromisoformat, required=True, help="laatste peildatum (inclusief), JJJJ-MM-DD")
    ddas.add_argument("--out", type=Path, help="schrijf naar dit bestand in plaats van naar stdout")
    ddas.set_defaults(run=_export_ddas)

    demo = commands.add_parser("demo", allow_abbrev=False, help="schrijf de synthetische demodata naar een map")
    demo.add_argument("out", type=Path, nargs="?", default=DEMO_DIR)
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    _demo_dates(demo)
    demo.set_defaults(run=_demo)
    return parser


def _demo_dates(command: argparse.ArgumentParser) -> None:
    from infra.demo_months import MONTHS

    command.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="de dag waarop de demo speelt, JJJJ-MM-DD (standaard vandaag); de laatste run is de eerste van die maand",
    )
    command.add_argument(
        "--months",
        type=int,
        choices=range(1, 13),
        default=MONTHS,
        metavar="N",
        help=f"maanden geschiedenis tot en met de laatste, elk met leveringen, een run en werk (standaard {MONTHS})",
    )


def _registry_check(args: argparse.Namespace) -> int:
    registry = parse_registry_toml(args.file.read_text(encoding="utf-8"))
    print(
        f"{args.file}: {len(registry.gemeenten)} gemeenten, {len(registry.leveranciers)} leveranciers, "
        f"{len(registry.convenanten)} convenanten: in orde"
    )
    return 0


def _registry_import(args: argparse.Namespace) -> int:
    registry = actions.registry_import(current(), args.file)
    print(
        f"register geladen: {len(registry.gemeenten)} gemeenten, {len(registry.leveranciers)} leveranciers, "
        f"{len(registry.convenanten)} convenanten"
    )
    return 0


def _reference_import(args: argparse.Namespace) -> int:
    rows = actions.reference_import(current(), args.file)
    print(f"adrestabel geladen: {rows} regels")
    return 0


def _login(args: argparse.Namespace) -> int:
    from infra.local.users import DEMO_PASSWORD, sign_in

    print(sign_in(current(), args.username, args.password or DEMO_PASSWORD))
    return 0


def _setting(name: str) -> str:
    value = current().env.get(name)
    if not value:
        raise ValueError(f"{name} is niet gezet: neem de waarde over uit de outputs van de stack (docs/operations.md)")
    return value


def _users_create(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    from infra.operations import User, create_user

    user = User(args.username, Role(args.rol), args.email, args.naam, args.gemeente, args.leverancier, args.team)
    try:
        create_user(current().client("cognito-idp"), _setting("VINDPLAATS_USER_POOL_ID"), user, invite=args.invite)
    except ClientError as exc:  # an existing username, a password policy: Cognito's own words
        raise ValueError(f"Cognito weigert: {exc.response['Error'].get('Message', exc)}") from exc
    tenant = user.gemeente or user.leverancier or "-"
    team = f" team {user.team}" if user.team else ""
    print(f"gebruiker {user.username} gemaakt: rol {user.role.value}, tenant {tenant}{team}")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from infra.operations import list_users

    for user in list_users(current().client("cognito-idp"), _setting("VINDPLAATS_USER_POOL_ID")):
        tenant = user.gemeente or user.leverancier or "-"
        print(f"{user.username:<40} {user.role.value:<12} {tenant:<30} {user.team or '-':<12} {user.status}")
    return 0


def _rerun(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from infra.operations import start_run

    # The local stack has no Step Functions: `vindplaats run` runs its workflow instead.
    arn = _setting("VINDPLAATS_MATCH_STATE_MACHINE_ARN")
    execution = start_run(current().client("stepfunctions"), arn, args.as_of, datetime.now(UTC))
    print(f"run voor {args.as_of} gestart: {execution}")
    return 0


def _audit_case(args: argparse.Namespace) -> int:
    from infra.operations import audit_events, inzage

    bucket = _setting("VINDPLAATS_AUDIT_BUCKET")
    events = audit_events(current().client("s3"), bucket, args.van, args.tot or date.today(), args.gemeente)
    found = inzage(events, args.case_ids)
    for event in found:
        if args.json:
            print(event.model_dump_json(exclude_none=True))
        else:
            what = event.case_id or f"{event.count} rijen"
            who = f"{event.subject:<38} {event.role:<12}"
            print(f"{event.at:%Y-%m-%d %H:%M:%S} {who} {event.route:<34} {what} {event.outcome}")
    print(f"{len(found)} gebeurtenissen", file=sys.stderr)
    return 0


def _upload(args: argparse.Namespace) -> int:
    target = current()
    delivered = actions.upload(target, args.leverancier, args.file)
    print(f"geüpload: {args.leverancier}/{delivered.levering} ({args.file.name})")
    if args.wait > 0:
        report = actions.wait_for_reports(target, [delivered], timeout=args.wait)[delivered]
        print(f"  {actions.describe(report)}")
        for error in report.errors[:20]:
            print(f"  regel {error.line} {error.column or ''}: {error.code}: {error.message}")
    return 0


def _export_ddas(args: argparse.Namespace) -> int:
    import getpass
    import json

    from chalicelib.domain.errors import CallerError

    try:
        filename, export = actions.export_ddas(current(), args.gemeente, args.van, args.tot, getpass.getuser())
    except CallerError as exc:
        print(f"vindplaats: {exc.message}", file=sys.stderr)
        return 2
    text = json.dumps(export.document, ensure_ascii=False, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    print(
        f"{args.out or filename}: {len(export.case_ids)} zaken, {export.signalen} signalen, "
        f"{export.contactpogingen} contactpogingen, {export.left_out} signalen zonder BSN of adres weggelaten",
        file=sys.stderr,
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from infra.oneshot import RunArguments, run

    return run(RunArguments(args.deliveries, args.registry, args.reference, args.as_of, args.out))


def _status(args: argparse.Namespace) -> int:
    today = args.vandaag or date.today()
    missing = actions.missing_deliveries(current(), today)
    if not missing:
        print(f"alle leveranciers met een convenant leverden in de 35 dagen tot {today}")
        return 0
    print(f"leveranciers met een convenant zonder levering in de 35 dagen tot {today}:")
    for entry in missing:
        since = (
            f"laatste levering {entry.laatste_levering} ({entry.dagen} dagen)"
            if entry.laatste_levering
            else "nooit geleverd"
        )
        print(f"  {entry.leverancier:<40} {since}; gemeenten {', '.join(entry.gemeenten)}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from infra.demo_months import generate_months

    history = generate_months(args.out, seed=args.seed, today=args.today or date.today(), months=args.months)
    print(f"demodata geschreven naar {args.out}: {history}")
    return 0


def _up(args: argparse.Namespace) -> int:
    from infra.local.api import LocalApi
    from infra.local.runtime import REPLAY_DATE, LocalRuntime
    from infra.local.stack import LocalStack

    print(f"lokale AWS (moto) start op 127.0.0.1:{args.aws_port or 'vrije poort'} ...", flush=True)
    environment = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    # The page's address is the template's PageUrl here too: the upload bucket's CORS rule lets
    # only its origin post, and the run mails link to it. So the port is chosen before the stack.
    port = args.port or _free_port()
    parameters = {"PageUrl": f"http://127.0.0.1:{port}/"}
    with LocalStack(
        port=args.aws_port, queue_visibility_timeout=5, environment=environment, parameters=parameters
    ) as stack:
        # The API function's environment: every setting, plus the user pool and the audit log.
        env = stack.env("ApiFunction")
        runtime = LocalRuntime(stack, wait_time_seconds=1)
        # The commands' audit log (`vindplaats export ddas`) is the API's.
        save_local(env | {actions.AUDIT_BUCKET: stack.env("ApiFunction")[actions.AUDIT_BUCKET]}, os.getpid())
        try:
            print(f"  klaar: {len(stack.created)} resources uit template.yaml op {stack.endpoint_url}")
            if args.demo:
                _load_demo(args.demo_dir, stack, runtime, args.today or date.today(), args.months)
                _mailbox(stack, args.mailbox_dir)
                # Uploads from now on are dated by the clock, as on AWS.
                stack.environment.pop(REPLAY_DATE, None)
            api = LocalApi(stack, port=port).start()
            print(f"webpagina: {api.url}/   (meld u aan als een demo-gebruiker hierboven)", flush=True)
            print(f"API: {api.url}/api/health", flush=True)
            if args.once:
                api.stop()
                return 0
            runtime.start()
            print("\nDe lokale stack draait; Ctrl-C stopt hem.")
            print(f"  export AWS_ENDPOINT_URL={stack.endpoint_url}   # voor de aws-cli of boto3")
            print("  vindplaats upload BESTAND.csv --leverancier ID   # een levering aanbieden")
            _wait_for_interrupt()
        finally:
            runtime.stop()
            clear_local(os.getpid())
    return 0


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load_demo(folder: Path, stack, runtime, today: date, months: int) -> None:
    """The demo's months, oldest first, as they would have gone: each month's deliveries
    through the real upload path dated in that month, its run, then its casework."""
    from infra.demo_months import generate_months
    from infra.local.runtime import REPLAY_DATE
    from infra.local.target import Target

    target = Target(stack.env("IngestFunction"))
    history = generate_months(folder, seed=DEMO_SEED, today=today, months=months)
    print(f"demodata: {folder} ({history})")
    registry = actions.registry_import(target, folder / "registry.toml")
    print(
        f"  register: {len(registry.gemeenten)} gemeenten, {len(registry.leveranciers)} leveranciers, "
        f"{len(registry.convenanten)} convenanten"
    )
    print(f"  adrestabel: {actions.reference_import(target, folder / 'adressen.csv')} regels")
    _demo_users(stack, registry)
    casework = _casework(stack)
    for month in history.months:
        latest = month is history.months[-1]
        # A file without peildatum is dated by its upload: in the month it belongs to.
        stack.environment[REPLAY_DATE] = month.as_of.isoformat()
        files = actions.deliveries(month.folder)
        delivered = [actions.upload(target, leverancier, path) for leverancier, path in files]
        reports = actions.wait_for_reports(target, delivered, timeout=120, pump=lambda: runtime.poll_once(0))
        print(f"{month.as_of:%Y-%m}: {len(delivered)} leveringen, {month.rijen} rijen", flush=True)
        if latest:
            for item in delivered:
                print(f"  {item.leverancier + '/' + item.path.name:<48} {actions.describe(reports[item])}")
        run_id, counts = _match(stack, runtime, month.as_of)
        _work(casework, run_id, counts, registry, today, latest, month.as_of)
        # The notify function tells the suppliers and mails the gemeenten, as on AWS.
        runtime.run_until_idle(timeout=300)


def _mailbox(stack, folder: Path) -> None:
    from infra.local import mailbox

    written = mailbox.write(stack, folder)
    print(f"mailbox: {folder}/ ({len(written)} e-mails aan de coördinatoren)", flush=True)


def _demo_users(stack, registry) -> None:
    from infra.local.users import DEMO_PASSWORD, create_demo_users

    users = create_demo_users(stack, registry)
    print(f"demo-gebruikers (wachtwoord {DEMO_PASSWORD}):")
    for user in users:
        print(f"  {user.username}")
    print("  token: vindplaats login coordinator-gm0202")


def _casework(stack):
    """The API's services as the demo's users work with them, on a clock set to each step's day."""
    from chalicelib import bootstrap
    from chalicelib.config import ApiSettings
    from infra.local.casework import Casework, DemoClock
    from infra.local.users import sign_in

    # As LocalApi does: this process stands in for the API function, its variables set for good.
    os.environ.update(stack.env("ApiFunction"))
    clock = DemoClock()
    deps = bootstrap.build_api(ApiSettings(), bootstrap.Aws(), clock=clock)
    return Casework(deps, clock, lambda username: sign_in(stack, username))


def _work(casework, run_id: str, counts, registry, today: date, latest: bool, as_of: date) -> None:
    from infra.local.casework import LATEST, OLDER, plan
    from infra.local.users import DEMO_TEAMS

    for gemeente in registry.gemeenten:
        cases = casework.cases(run_id, gemeente.code)
        steps = plan(cases, DEMO_TEAMS, today, LATEST if latest else OLDER, f"{DEMO_SEED}:{as_of}:{gemeente.code}")
        done = casework.carry_out(run_id, gemeente.code, steps)
        figures = counts.get(gemeente.code, {"crisis": 0, "herhaald": 0})
        print(
            f"    {gemeente.code}: {len(cases)} cases ({figures['crisis']} crisis, {figures['herhaald']} herhaald); "
            f"{done.get('assign', 0)} toegewezen, "
            f"{done.get('approach', 0)} benaderd, {done.get('contactpoging', 0)} contactpogingen, "
            f"{done.get('resultaat', 0)} resultaten",
            flush=True,
        )


def _match(stack, runtime, as_of: date) -> tuple[str, dict[str, dict[str, int]]]:
    """Run the monthly workflow for `as_of`; its run id and the counts per gemeente."""
    from infra.local.driver import local_workflow

    output = local_workflow(stack, runtime.invoke).run({"as_of": as_of.isoformat()})
    print(f"  run {output['run_id']} voor {as_of} gepubliceerd; daarna het werk van de gemeenten:")
    return str(output["run_id"]), output["publish"]["summary"]["gemeenten"]


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        print("\ngestopt")


if __name__ == "__main__":
    sys.exit(main())
