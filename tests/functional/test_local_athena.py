"""The local Athena and the local workflow on moto: Glue from template.yaml, the lake in S3, DuckDB."""

import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chalicelib.domain.matching import MATCH_SCHEMA, TABLE_SCHEMAS, VORIGE_MATCHES_SCHEMA, match_sql, parameter_tables
from chalicelib.domain.registry import Convenant, Gemeente, Leverancier, Registry
from chalicelib.domain.signals import SIGNAL_SCHEMA
from infra.local.athena import LocalAthena, QueryFailed, s3_filesystem
from infra.local.driver import ExecutionFailed, local_workflow, steps_in_order
from infra.local.stack import LocalStack
from infra.template import LOCAL_ACCOUNT_ID

LAKE = f"vindplaats-lake-{LOCAL_ACCOUNT_ID}"
AS_OF = date(2026, 5, 1)
IN_WINDOW, OUT_OF_WINDOW = "2026-04-20", "2025-12-01"
H1, H2 = "1" * 32, "2" * 32
TYPE_OF = {"vivare": "Huur", "vitens": "Water"}


@pytest.fixture(scope="module")
def stack():
    with LocalStack(environment={"POWERTOOLS_METRICS_DISABLED": "true"}) as local:
        yield local


@pytest.fixture(scope="module")
def lake(stack):
    """Signals of two suppliers in one in-window partition, and an out-of-window partition that
    is not Parquet at all: reading it would fail the query."""
    fs = s3_filesystem(stack.endpoint_url)
    for leverancier, households in (("vivare", [H1, H2]), ("vitens", [H1])):
        rows = [signal(leverancier, h, regel) for regel, h in enumerate(households, start=1)]
        table = pa.Table.from_pylist(rows, schema=SIGNAL_SCHEMA).drop_columns(["peildatum"])
        pq.write_table(
            table, f"{LAKE}/signals/peildatum={IN_WINDOW}/{leverancier}_lev-{leverancier}.parquet", filesystem=fs
        )
    stack.client("s3").put_object(
        Bucket=LAKE, Key=f"signals/peildatum={OUT_OF_WINDOW}/vivare_old.parquet", Body=b"not parquet"
    )
    return fs


def signal(leverancier, huishouden, regel):
    return {
        "huishouden": huishouden,
        "levering": f"lev-{leverancier}",
        "regel": regel,
        "leverancier": leverancier,
        "gemeente": "GM0202",
        "wijk": "WK020201",
        "buurt": "BU02020101",
        "signaaltype": TYPE_OF[leverancier],
        "bedrag_cent": 12_500,
        "achterstand_sinds": date(2026, 3, 1),
        "peildatum": date.fromisoformat(IN_WINDOW),
        "crisis": False,
        "geupload_op": datetime(2026, 4, 21, 9, tzinfo=UTC),
    }


def registry(min_leveranciers=2):
    return Registry(
        gemeenten=(Gemeente(code="GM0202", naam="Arnhem", min_leveranciers=min_leveranciers),),
        leveranciers=tuple(Leverancier(id=i, naam=i, signaaltype=t) for i, t in TYPE_OF.items()),
        convenanten=tuple(Convenant(gemeente="GM0202", leverancier=i, vanaf=date(2026, 1, 1)) for i in TYPE_OF),
    )


def prepare_run(stack, fs, run_id, min_leveranciers=2):
    """What the Prepare step does: the run's parameter tables in the lake, Glue pointed at them."""
    tables = parameter_tables(registry(min_leveranciers), AS_OF)
    tables["vorige_matches"] = VORIGE_MATCHES_SCHEMA.empty_table()
    glue, database = stack.client("glue"), stack.ref("GlueDatabase")
    for name, table in tables.items():
        prefix = f"params/{name}/run={run_id}/"
        pq.write_table(table, f"{LAKE}/{prefix}part-0.parquet", filesystem=fs)
        point_at(glue, database, name, f"s3://{LAKE}/{prefix}")
    output = f"s3://{LAKE}/runs/{run_id}/matches/"
    return {"run_id": run_id, "as_of": AS_OF.isoformat(), "query": unload(output), "output": output}


def point_at(glue, database, name, location):
    table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    table_input = {
        key: table[key]
        for key in ("Name", "Description", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
        if key in table
    }
    table_input["StorageDescriptor"]["Location"] = location
    glue.update_table(DatabaseName=database, TableInput=table_input)


def unload(output):
    return f"UNLOAD ({match_sql()}) TO '{output}' WITH (format = 'PARQUET', compression = 'ZSTD')"


def read_output(fs, output):
    return pq.read_table(output.removeprefix("s3://") + "part-0.parquet", filesystem=fs)


def test_glue_catalog_and_work_group_are_created_from_the_template(stack):
    glue = stack.client("glue")
    tables = glue.get_tables(DatabaseName=stack.ref("GlueDatabase"))["TableList"]
    assert {t["Name"] for t in tables} == set(TABLE_SCHEMAS)
    signals = glue.get_table(DatabaseName=stack.ref("GlueDatabase"), Name="signals")["Table"]
    assert signals["Parameters"]["storage.location.template"] == f"s3://{LAKE}/signals/peildatum=${{peildatum}}/"
    group = stack.client("athena").get_work_group(WorkGroup=stack.ref("AthenaWorkGroup"))["WorkGroup"]
    assert group["Configuration"]["EnforceWorkGroupConfiguration"] is True


def test_unload_of_match_sql_lands_as_parquet_in_the_target(stack, lake):
    run = prepare_run(stack, lake, "run-a")
    athena = LocalAthena.for_stack(stack)

    execution = athena.execute(run["query"], work_group=stack.ref("AthenaWorkGroup"))["QueryExecution"]

    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["Statistics"]["DataScannedInBytes"] > 0
    keys = [o["Key"] for o in stack.client("s3").list_objects_v2(Bucket=LAKE, Prefix="runs/run-a/")["Contents"]]
    assert keys == ["runs/run-a/matches/part-0.parquet"]
    rows = read_output(lake, run["output"])
    assert rows.schema.names == MATCH_SCHEMA.names
    assert rows.cast(MATCH_SCHEMA).schema == MATCH_SCHEMA
    assert set(rows["huishouden"].to_pylist()) == {H1}
    assert sorted(rows["leverancier"].to_pylist()) == ["vitens", "vivare"]


def test_only_the_partitions_in_the_runs_window_are_read(stack, lake):
    run = prepare_run(stack, lake, "run-window")
    athena = LocalAthena.for_stack(stack)
    athena.execute(run["query"])  # the out-of-window partition is not Parquet: reading it would fail
    scan = athena.scans["signals"]
    assert (scan.partitions_total, scan.partitions_in_window, scan.files_read) == (2, 1, 2)


def test_the_query_reads_the_parameters_its_tables_point_at(stack, lake):
    run = prepare_run(stack, lake, "run-strict", min_leveranciers=3)
    LocalAthena.for_stack(stack).execute(run["query"])
    assert read_output(lake, run["output"]).num_rows == 0


def test_unload_into_a_non_empty_target_fails_as_on_athena(stack, lake):
    run = prepare_run(stack, lake, "run-twice")
    athena = LocalAthena.for_stack(stack)
    athena.execute(run["query"])
    with pytest.raises(QueryFailed, match="HIVE_PATH_ALREADY_EXISTS"):
        athena.execute(run["query"])


def test_the_work_group_scan_cutoff_is_enforced(stack, lake):
    # Athena's minimum cutoff is 10 MB, more than this lake: a work group stub sets a tiny one.
    class TinyWorkGroup:
        def get_work_group(self, WorkGroup):
            return {"WorkGroup": {"Configuration": {"BytesScannedCutoffPerQuery": 100}}}

    athena = LocalAthena(stack.client("glue"), lake, athena=TinyWorkGroup(), database=stack.ref("GlueDatabase"))
    run = prepare_run(stack, lake, "run-tiny")
    with pytest.raises(QueryFailed, match="scan limit"):
        athena.execute(run["query"], work_group="tiny")


class FakeFunctions:
    """The Lambda steps as the local runtime would invoke them; Prepare does the real lake work."""

    def __init__(self, stack, fs, run_id):
        self.stack, self.fs, self.run_id = stack, fs, run_id
        self.invoked: list[tuple[str, dict]] = []

    def __call__(self, function, payload):
        self.invoked.append((function, payload))
        if function == "PrepareFunction":
            return prepare_run(self.stack, self.fs, self.run_id)
        if function == "PublishFunction":
            return {"cases": len(set(read_output(self.fs, payload["output"])["huishouden"].to_pylist()))}
        return {}


def test_local_workflow_runs_the_template_asl_on_the_local_stack(stack, lake):
    functions = FakeFunctions(stack, lake, "run-workflow")
    workflow = local_workflow(stack, functions, sleep=lambda s: None)

    output = workflow.run({"as_of": AS_OF.isoformat()}, name="may-2026")

    assert workflow.visited == steps_in_order(workflow.asl)
    assert [f for f, _ in functions.invoked] == ["PrepareFunction", "PublishFunction", "RetentionFunction"]
    assert output["publish"] == {"summary": {"cases": 1}}
    # Notify hands the run-published event to the notify queue, where the local runtime finds it.
    sqs = stack.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=stack.ref("NotifyQueue"))["Messages"]
    assert json.loads(message["Body"]) == {"soort": "run_gepubliceerd", "publish": {"cases": 1}}
    assert output["notify"] == {"message_id": message["MessageId"]}
    assert output["athena"]["data_scanned_bytes"] > 0


def test_a_failed_local_run_notifies_the_alarm_topic_without_publishing(stack, lake):
    sqs, sns = stack.client("sqs"), stack.client("sns")
    queue = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.ref("AlarmTopic"), Protocol="sqs", Endpoint=queue_arn)
    functions = FakeFunctions(stack, lake, "run-a")  # run-a's target already holds its rows

    with pytest.raises(ExecutionFailed) as failed:
        local_workflow(stack, functions, sleep=lambda s: None).run({}, name="rerun-a")

    assert failed.value.state == "Failed" and failed.value.error == "States.TaskFailed"
    # After Prepare only the Retention function runs, and only to give the run's lock back.
    assert [f for f, _ in functions.invoked] == ["PrepareFunction", "RetentionFunction"]
    assert functions.invoked[1][1]["failed"] is True
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    text = json.loads(message["Body"])["Message"]
    assert "rerun-a" in text and "States.TaskFailed" in text
