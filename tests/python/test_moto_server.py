"""The local AWS endpoint the Rust tests rely on (scripts/moto-server.sh, started
by scripts/test.sh): DynamoDB with GSI, TTL, transactions, conditional writes
and streams; EventBridge PutEvents; SQS. Skipped without AWS_ENDPOINT_URL."""

import os
import uuid

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.exceptions import ClientError  # noqa: E402

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "")
pytestmark = pytest.mark.skipif(
    not ENDPOINT.startswith("http://127.0.0.1"),
    reason="no local AWS_ENDPOINT_URL (run via scripts/test.sh, or "
    'eval "$(scripts/moto-server.sh env)")')


def client(service):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def table():
    ddb = client("dynamodb")
    name = f"t-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                              for a in ("PK", "SK", "GSI1PK", "GSI1SK")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                   {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "GSI1",
            "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                          {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
    yield name
    ddb.delete_table(TableName=name)


def put_root_and_outbox(ddb, table, saga, version, condition):
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table,
                 "Item": {"PK": {"S": f"SAGA#{saga}"}, "SK": {"S": "ROOT"},
                          "version": {"N": str(version)},
                          "GSI1PK": {"S": "STATUS#OPEN"}, "GSI1SK": {"S": saga}},
                 "ConditionExpression": condition[0],
                 **({"ExpressionAttributeValues": condition[1]} if condition[1] else {})}},
        {"Put": {"TableName": table,
                 "Item": {"PK": {"S": f"SAGA#{saga}"}, "SK": {"S": f"OUTBOX#{version}"}}}},
    ])


def test_dynamodb_transactions_conditions_gsi_streams(table):
    ddb = client("dynamodb")
    put_root_and_outbox(ddb, table, "s1", 1, ("attribute_not_exists(PK)", None))
    # Optimistic version guard: a stale writer is cancelled as a whole.
    with pytest.raises(ClientError) as e:
        put_root_and_outbox(ddb, table, "s1", 2, ("version = :v", {":v": {"N": "0"}}))
    err = e.value.response
    assert err["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in err["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    put_root_and_outbox(ddb, table, "s1", 2, ("version = :v", {":v": {"N": "1"}}))

    items = ddb.query(TableName=table, KeyConditionExpression="PK = :p",
                      ExpressionAttributeValues={":p": {"S": "SAGA#s1"}})["Items"]
    assert sorted(i["SK"]["S"] for i in items) == ["OUTBOX#1", "OUTBOX#2", "ROOT"]
    gsi = ddb.query(TableName=table, IndexName="GSI1",
                    KeyConditionExpression="GSI1PK = :p",
                    ExpressionAttributeValues={":p": {"S": "STATUS#OPEN"}})["Items"]
    assert [i["version"]["N"] for i in gsi] == ["2"]

    # Conditional single write fails with the plain exception.
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"PK": {"S": "SAGA#s1"}, "SK": {"S": "ROOT"}},
                     ConditionExpression="attribute_not_exists(PK)")
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"

    streams = client("dynamodbstreams")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    seen = [(r["eventName"], r["dynamodb"]["Keys"]["SK"]["S"]) for r in records]
    assert seen == [("INSERT", "ROOT"), ("INSERT", "OUTBOX#1"),
                    ("MODIFY", "ROOT"), ("INSERT", "OUTBOX#2")]
    modify = records[2]["dynamodb"]
    assert modify["OldImage"]["version"]["N"] == "1"
    assert modify["NewImage"]["version"]["N"] == "2"


def test_eventbridge_put_events_and_sqs():
    events, sqs = client("events"), client("sqs")
    bus = f"bus-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    q = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus,
                    EventPattern='{"source": ["sagac.test"]}')
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": q_arn}])
    resp = events.put_events(Entries=[
        {"Source": "sagac.test", "DetailType": "TripBooked", "Detail": '{"id": "e1"}',
         "EventBusName": bus}])
    assert resp["FailedEntryCount"] == 0
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1).get("Messages", [])
    assert len(msgs) == 1 and '"e1"' in msgs[0]["Body"]


def test_concurrent_transactions_stay_atomic(table):
    """Thirty-two transactions race for one counter at once: each puts its own
    item and moves the counter from 0 to 1, so exactly one may commit. A
    threaded moto rolls a failed transaction back by restoring the whole
    table as it was when that transaction began, erasing the winner's
    writes; the project's server (scripts/moto_server_serial.py) handles one
    request at a time, so the winner's item and counter survive."""
    from concurrent.futures import ThreadPoolExecutor

    ddb = client("dynamodb")
    ddb.put_item(TableName=table, Item={"PK": {"S": "C"}, "SK": {"S": "COUNTER"},
                                        "n": {"N": "0"}})

    def race(i):
        try:
            ddb_i = client("dynamodb")
            ddb_i.transact_write_items(TransactItems=[
                {"Update": {"TableName": table,
                            "Key": {"PK": {"S": "C"}, "SK": {"S": "COUNTER"}},
                            "UpdateExpression": "SET n = :one",
                            "ConditionExpression": "n = :zero",
                            "ExpressionAttributeValues": {":one": {"N": "1"},
                                                          ":zero": {"N": "0"}}}},
                {"Put": {"TableName": table,
                         "Item": {"PK": {"S": "C"}, "SK": {"S": f"WINNER#{i}"}}}},
            ] + [
                # Padding that widens the window in which a threaded moto
                # would interleave two transactions.
                {"Put": {"TableName": table,
                         "Item": {"PK": {"S": f"PAD#{i}"}, "SK": {"S": f"{j}"}}}}
                for j in range(30)
            ])
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "TransactionCanceledException", e
            return False

    with ThreadPoolExecutor(max_workers=32) as pool:
        won = list(pool.map(race, range(32)))
    assert won.count(True) == 1, won
    items = ddb.query(TableName=table, KeyConditionExpression="PK = :c",
                      ExpressionAttributeValues={":c": {"S": "C"}})["Items"]
    winners = [i["SK"]["S"] for i in items if i["SK"]["S"].startswith("WINNER#")]
    counter = [i for i in items if i["SK"]["S"] == "COUNTER"][0]
    assert counter["n"]["N"] == "1"
    assert winners == [f"WINNER#{won.index(True)}"], winners
