"""The prepare step's catalogue changes on moto's Glue: tables pointed at the run, window narrowed."""

from datetime import date

import pyarrow as pa
import pytest

from chalicelib.adapters.aws.parameters import S3GlueParameters
from infra.local.stack import LocalStack


@pytest.fixture(scope="module")
def stack():
    with LocalStack() as local:
        yield local


def test_parameter_table_is_written_and_the_catalogue_points_at_it(stack):
    settings = stack.env()
    glue = stack.client("glue")
    parameters = S3GlueParameters(
        stack.client("s3"), glue, settings["VINDPLAATS_LAKE_BUCKET"], settings["VINDPLAATS_GLUE_DATABASE"]
    )
    location = parameters.put("gemeente_regels", "r1", pa.table({"gemeente": ["GM0202"]}))
    parameters.point("gemeente_regels", location)
    table = glue.get_table(DatabaseName=settings["VINDPLAATS_GLUE_DATABASE"], Name="gemeente_regels")["Table"]
    assert (
        table["StorageDescriptor"]["Location"]
        == f"s3://{settings['VINDPLAATS_LAKE_BUCKET']}/params/gemeente_regels/run=r1/"
    )
    keys = stack.client("s3").list_objects_v2(
        Bucket=settings["VINDPLAATS_LAKE_BUCKET"], Prefix="params/gemeente_regels/run=r1/"
    )
    assert [item["Key"] for item in keys["Contents"]] == ["params/gemeente_regels/run=r1/part-0.parquet"]


def test_window_narrows_the_signals_projection_and_keeps_the_rest(stack):
    settings = stack.env()
    glue = stack.client("glue")
    before = glue.get_table(DatabaseName=settings["VINDPLAATS_GLUE_DATABASE"], Name="signals")["Table"]
    S3GlueParameters(
        stack.client("s3"), glue, settings["VINDPLAATS_LAKE_BUCKET"], settings["VINDPLAATS_GLUE_DATABASE"]
    ).window(date(2026, 9, 17), date(2026, 11, 1))
    after = glue.get_table(DatabaseName=settings["VINDPLAATS_GLUE_DATABASE"], Name="signals")["Table"]
    assert after["Parameters"]["projection.peildatum.range"] == "2026-09-17,2026-11-01"
    assert {k: v for k, v in after["Parameters"].items() if k != "projection.peildatum.range"} == {
        k: v for k, v in before["Parameters"].items() if k != "projection.peildatum.range"
    }
    assert after["StorageDescriptor"]["Columns"] == before["StorageDescriptor"]["Columns"]
    assert after["PartitionKeys"] == before["PartitionKeys"]
