"""The oracles must be able to fail: each one is shown a known-bad input."""

import json
from pathlib import Path

import oracles

ASL_OK = {"StartAt": "A", "States": {"A": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "${Fn}", "Payload.$": "$"}, "End": True}}}

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !Sub arn:aws:iam::${AWS::AccountId}:role/x
      DefinitionString: '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
      DefinitionSubstitutions:
        Unused: x
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_asl_validator_accepts_good_and_rejects_bad(tmp_path):
    good = write(tmp_path, "good.json", json.dumps(ASL_OK))
    assert oracles.asl_validator(good) == []
    bad = write(tmp_path, "bad.json", json.dumps({"StartAt": "Nope", "States": {}}))
    assert oracles.asl_validator(bad)


def test_cfn_lint_reports_errors(tmp_path):
    t = write(tmp_path, "t.yaml", TEMPLATE.replace("PAY_PER_REQUEST", "FREE_PLEASE"))
    problems = oracles.cfn_lint(t)
    assert any("FREE_PLEASE" in p for p in problems), problems


def test_checkov_reports_failed_checks(tmp_path):
    # No point-in-time recovery and no KMS CMK: checkov must say so.
    problems = oracles.checkov(write(tmp_path, "t.yaml", TEMPLATE))
    ids = " ".join(problems)
    assert "CKV_AWS_28" in ids and "CKV_AWS_119" in ids, problems


def test_substitution_consistency_both_ways(tmp_path):
    asl = write(tmp_path, "statemachine.asl.json", json.dumps(ASL_OK))
    problems = oracles.substitution_consistency(asl, write(tmp_path, "t.yaml", TEMPLATE))
    assert any("${Fn}" in p for p in problems)
    assert any("Unused" in p for p in problems)
