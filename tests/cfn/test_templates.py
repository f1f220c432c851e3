"""The CloudFormation outputs of every spec, checked by independent tools.

For each spec in spec/ and spec/examples/ (built into a temporary directory by
`sagac build`, or by the core's `cfn_build` example while the CLI has no
`build`):

* cfn-lint: zero errors and zero warnings on template.yaml and pipeline.yaml;
* checkov: zero failed checks on both, and every inline skip is one checkov
  actually applied (no stale or mistyped skip ids) and carries a reason;
* the table part of template.yaml deployed into moto: through moto's
  CloudFormation (key schema, GSIs, stream, billing, deletion protection as
  CloudFormation creates them), and through the DynamoDB API from the
  template's own properties (TTL, point-in-time recovery and SSE, which moto's
  CloudFormation does not apply), then used: an entity written with its keys
  and read back through its GSI.

The summary at the end of the run prints the resource count, cfn-lint and
checkov figures of each template and every checkov skip with its reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path

import pytest

import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cfn_support import SPECS, TEMPLATES, load, spec_id  # noqa: E402

IDS = [spec_id(s) for s in SPECS]


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("spec", IDS)
def test_cfn_lint_clean(builds, spec, name):
    findings = [f for f in builds[spec].lint[name] if f.get("Level") in ("Error", "Warning")]
    lines = [
        f"{f['Rule']['Id']} ({f['Level']}) {name}:{f['Location']['Start']['LineNumber']}: {f['Message']}"
        for f in findings
    ]
    assert not lines, f"cfn-lint on {spec}/{name}:\n" + "\n".join(lines)


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("spec", IDS)
def test_checkov_clean(builds, spec, name):
    report = builds[spec].checkov[name]
    assert report.get("summary", {}).get("parsing_errors", 0) == 0, f"checkov could not parse {spec}/{name}"
    assert report.get("summary", {}).get("passed", 0) > 0, f"checkov checked nothing in {spec}/{name}"
    failed = report.get("results", {}).get("failed_checks", [])
    lines = [
        f"{c['check_id']} {c['resource']} ({name}:{(c.get('file_line_range') or ['?'])[0]}): {c['check_name']}"
        for c in failed
    ]
    assert not lines, f"checkov on {spec}/{name}:\n" + "\n".join(lines)


def _declared_skips(template: dict) -> list[tuple[str, str, str]]:
    out = []
    for rid, res in (template.get("Resources") or {}).items():
        for skip in ((res.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
            out.append((rid, skip.get("id", ""), skip.get("comment", "")))
    return out


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("spec", IDS)
def test_every_checkov_skip_applies_and_says_why(builds, spec, name):
    b = builds[spec]
    declared = _declared_skips(load(b.out / name))
    applied = {
        (c["resource"].split(".", 1)[-1], c["check_id"])
        for c in b.checkov[name].get("results", {}).get("skipped_checks", [])
    }
    problems = []
    for rid, check, comment in declared:
        if len(comment) < 40:
            problems.append(f"{rid}: skip {check} has no real reason: {comment!r}")
        if (rid, check) not in applied:
            problems.append(f"{rid}: skip {check} is not a check checkov runs on it (stale or mistyped)")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# The table part, deployed into moto.

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "")


@contextlib.contextmanager
def aws():
    """boto3 clients against the local moto_server when scripts/test.sh
    started one, else moto in process."""
    boto3 = pytest.importorskip("boto3")
    if ENDPOINT.startswith("http://127.0.0.1"):
        yield lambda service, region: boto3.client(
            service, endpoint_url=ENDPOINT, region_name=region,
            aws_access_key_id="testing", aws_secret_access_key="testing")
    else:
        moto = pytest.importorskip("moto")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        with moto.mock_aws():
            yield lambda service, region: boto3.client(service, region_name=region)


def _region(template: dict) -> str:
    rule = template["Rules"]["SpecRegion"]["Assertions"][0]["Assert"]["Fn::Equals"]
    return rule[1]


def _tables(template: dict) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"}


def _resolve(value, env: str):
    """The table name of `{"Fn::Sub": "Name-${EnvironmentName}"}`."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"].replace("${EnvironmentName}", env)
    return value


def _expected(props: dict) -> dict:
    gsis = {
        g["IndexName"]: [(k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]]
        for g in props.get("GlobalSecondaryIndexes", [])
    }
    return {
        "keys": [(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]],
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]),
        "gsis": gsis,
        "stream": (props.get("StreamSpecification") or {}).get("StreamViewType"),
    }


def _actual(desc: dict) -> dict:
    return {
        "keys": [(k["AttributeName"], k["KeyType"]) for k in desc["KeySchema"]],
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in desc["AttributeDefinitions"]),
        "gsis": {
            g["IndexName"]: [(k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]]
            for g in desc.get("GlobalSecondaryIndexes", [])
        },
        "stream": (desc.get("StreamSpecification") or {}).get("StreamViewType"),
    }


@pytest.mark.parametrize("spec", IDS)
def test_tables_deploy_through_moto_cloudformation(builds, spec):
    template = load(builds[spec].out / "template.yaml")
    region = _region(template)
    env = "t" + uuid.uuid4().hex[:8]
    resources = dict(_tables(template))
    key = json.loads(json.dumps(template["Resources"]["SagaKey"]))
    # moto's KMS CloudFormation handler expects TagKey/TagValue tags; the
    # key is only here so the tables' SSE references resolve.
    key["Properties"].pop("Tags", None)
    resources["SagaKey"] = key
    part = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"EnvironmentName": template["Parameters"]["EnvironmentName"]},
        "Resources": resources,
    }
    with aws() as client:
        cf = client("cloudformation", region)
        stack = f"sagac-{spec}-{env}"
        cf.create_stack(StackName=stack, TemplateBody=json.dumps(part),
                        Parameters=[{"ParameterKey": "EnvironmentName", "ParameterValue": env}])
        status = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", status
        ddb = client("dynamodb", region)
        for rid, res in _tables(template).items():
            props = res["Properties"]
            name = _resolve(props["TableName"], env)
            desc = ddb.describe_table(TableName=name)["Table"]
            assert _actual(desc) == _expected(props), rid
            assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", rid
            assert desc.get("DeletionProtectionEnabled") is True, rid


@pytest.mark.parametrize("spec", IDS)
def test_single_table_is_real_and_usable(builds, spec):
    """The single table created from the template's own properties through the
    DynamoDB API, its TTL, PITR and SSE applied as CloudFormation would, then
    an entity written and read back by key and through its index."""
    template = load(builds[spec].out / "template.yaml")
    region = _region(template)
    env = "t" + uuid.uuid4().hex[:8]
    props = template["Resources"]["SagaTable"]["Properties"]
    name = _resolve(props["TableName"], env)
    with aws() as client:
        kms = client("kms", region)
        key_arn = kms.create_key(Description="sagac test")["KeyMetadata"]["Arn"]
        ddb = client("dynamodb", region)
        args = {
            "TableName": name,
            "BillingMode": props["BillingMode"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "StreamSpecification": {"StreamEnabled": True, **props["StreamSpecification"]},
            "SSESpecification": {"Enabled": True, "SSEType": props["SSESpecification"]["SSEType"],
                                 "KMSMasterKeyId": key_arn},
            "DeletionProtectionEnabled": props["DeletionProtectionEnabled"],
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        ddb.create_table(**args)
        if "TimeToLiveSpecification" in props:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
            ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]})
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        desc = ddb.describe_table(TableName=name)["Table"]
        assert desc["SSEDescription"]["SSEType"] == "KMS"
        assert desc["StreamSpecification"]["StreamViewType"] == props["StreamSpecification"]["StreamViewType"]
        assert desc.get("LatestStreamArn")

        # An item keyed like an entity, visible through every GSI.
        keys = {k["AttributeName"] for k in props["AttributeDefinitions"]}
        pk = next(k["AttributeName"] for k in props["KeySchema"] if k["KeyType"] == "HASH")
        sk = next(k["AttributeName"] for k in props["KeySchema"] if k["KeyType"] == "RANGE")
        item = {a: {"S": f"{a}#1"} for a in keys}
        ddb.put_item(TableName=name, Item=item, ConditionExpression="attribute_not_exists(#pk)",
                     ExpressionAttributeNames={"#pk": pk})
        got = ddb.get_item(TableName=name, Key={pk: item[pk], sk: item[sk]}, ConsistentRead=True)
        assert got["Item"] == item
        for gsi in props.get("GlobalSecondaryIndexes", []):
            hash_key = next(k["AttributeName"] for k in gsi["KeySchema"] if k["KeyType"] == "HASH")
            found = ddb.query(TableName=name, IndexName=gsi["IndexName"],
                              KeyConditionExpression="#k = :v",
                              ExpressionAttributeNames={"#k": hash_key},
                              ExpressionAttributeValues={":v": item[hash_key]})
            assert found["Count"] == 1, gsi["IndexName"]


def test_every_spec_is_covered(builds):
    assert set(builds) == set(IDS)
    assert any((Path(b.out) / "template.yaml").exists() for b in builds.values())
