"""The adapters' shared S3 and DynamoDB helpers: one "object missing" mapping, one Query pager."""

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.aws.dynamo import query_all
from chalicelib.adapters.aws.objects import is_missing


def _error(code: str, operation: str = "GetObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, operation)


@pytest.mark.parametrize("code", ["404", "NoSuchKey", "NotFound"])
def test_a_get_or_head_of_an_absent_object_is_missing(code):
    assert is_missing(_error(code))


@pytest.mark.parametrize("code", ["403", "AccessDenied", "412", "PreconditionFailed", "SlowDown"])
def test_other_errors_are_not_missing(code):
    assert not is_missing(_error(code))


@pytest.mark.parametrize(("code", "operation"), [("AccessDenied", "GetObject"), ("403", "HeadObject")])
def test_a_403_on_a_get_or_head_is_missing_only_to_a_role_that_may_not_list(code, operation):
    assert is_missing(_error(code, operation), may_list=False)
    assert not is_missing(_error(code, operation), may_list=True)


@pytest.mark.parametrize(
    ("code", "operation"),
    [
        ("403", "HeadBucket"),
        ("AccessDenied", "ListObjectsV2"),
        ("AccessDenied", "PutObject"),
        ("AccessDenied", "DeleteObject"),
        ("AccessDenied", "CopyObject"),
        ("SlowDown", "GetObject"),
        ("PreconditionFailed", "GetObject"),
    ],
)
def test_other_refusals_stay_errors_even_to_a_role_that_may_not_list(code, operation):
    assert not is_missing(_error(code, operation), may_list=False)


class PagedTable:
    """Answers a Query two items a page, as DynamoDB does past its size limit."""

    def __init__(self, items: list[dict]) -> None:
        self.items = items
        self.calls: list[dict] = []

    def query(self, **arguments):
        self.calls.append(arguments)
        start = arguments.get("ExclusiveStartKey", {}).get("at", 0)
        page = {"Items": self.items[start : start + 2]}
        if start + 2 < len(self.items):
            page["LastEvaluatedKey"] = {"at": start + 2}
        return page


def test_query_all_reads_every_page_in_order_with_the_same_arguments():
    table = PagedTable([{"sk": str(n)} for n in range(5)])

    items = query_all(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "X"})

    assert items == [{"sk": str(n)} for n in range(5)]
    assert [call.get("ExclusiveStartKey") for call in table.calls] == [None, {"at": 2}, {"at": 4}]
    assert all(call["KeyConditionExpression"] == "pk = :pk" for call in table.calls)


def test_query_all_of_nothing_is_one_query():
    table = PagedTable([])
    assert query_all(table, KeyConditionExpression="pk = :pk") == []
    assert len(table.calls) == 1
