"""Parameter tables in the lake, and the Glue catalogue pointed at this run's copies."""

import io
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq


class S3GlueParameters:
    # UpdateTable takes a TableInput; GetTable answers a Table, which has more (read-only) fields
    # and gains new ones. Copy only these documented TableInput fields, so that a field Glue
    # adds to its answer never reaches UpdateTable. Left out: ViewDefinition (its input shape
    # differs from the answer's) and FederatedTable: these tables are neither views nor federated.
    TABLE_INPUT_FIELDS = (
        "Name",
        "Description",
        "Owner",
        "LastAccessTime",
        "LastAnalyzedTime",
        "Retention",
        "StorageDescriptor",
        "PartitionKeys",
        "ViewOriginalText",
        "ViewExpandedText",
        "TableType",
        "Parameters",
        "TargetTable",
    )

    def __init__(self, s3, glue, bucket: str, database: str) -> None:
        self._s3 = s3
        self._glue = glue
        self._bucket = bucket
        self._database = database

    def put(self, name: str, run_id: str, table: pa.Table) -> str:
        prefix = f"params/{name}/run={run_id}/"
        body = io.BytesIO()
        pq.write_table(table, body, compression="zstd")
        self._s3.put_object(
            Bucket=self._bucket,
            Key=prefix + "part-0.parquet",
            Body=body.getvalue(),
            ContentType="application/vnd.apache.parquet",
        )
        return f"s3://{self._bucket}/{prefix}"

    def point(self, name: str, location: str) -> None:
        self._update(
            name, lambda table: table | {"StorageDescriptor": dict(table["StorageDescriptor"], Location=location)}
        )

    def window(self, first: date, last: date) -> None:
        """Narrow the signals table's partition projection to the run's window: Athena prunes
        partitions only on literal ranges, and the window reaches match.sql as a table."""
        self._update(
            "signals",
            lambda table: (
                table
                | {"Parameters": dict(table.get("Parameters", {}), **{"projection.peildatum.range": f"{first},{last}"})}
            ),
        )

    def _update(self, name: str, change) -> None:
        current = self._glue.get_table(DatabaseName=self._database, Name=name)["Table"]
        table_input = {key: current[key] for key in self.TABLE_INPUT_FIELDS if key in current}
        self._glue.update_table(DatabaseName=self._database, TableInput=change(table_input))
