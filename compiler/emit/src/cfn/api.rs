//! The REST API: `POST <start>` starts an execution, `GET <status>` reads
//! the view. Both are direct AWS service integrations (no Lambda in the
//! path), each with its own role.
//!
//! - Start: `states:action/StartExecution` with the execution `name` taken
//!   from the request's saga id (Standard workflows de-duplicate a name for
//!   90 days, so a repeated request cannot start the saga twice) and input
//!   `{"request": <body>}`. The body is checked first against the request
//!   model (JSON Schema draft 4, `schema/start-request.json`) by a request
//!   validator.
//! - Status: `dynamodb:action/Query` on the view table (or the route's view
//!   index); the response template maps the item to plain JSON by the
//!   view's field types, or answers 404.
//!
//! Authorisation is IAM unless the spec chooses a Cognito user pool, or
//! `NONE` explicitly. The stage writes JSON access logs, traces with X-Ray
//! and throttles every method. The deployment's logical id hashes the API's
//! definition, so a changed route is redeployed.

use serde_json::{Map, Value, json};

use super::model::{
    Resource, allow, assume_role_from_account, att, digest, logical, r, role, sub, sub_escape,
    sub_with,
};
use super::orchestration::STATE_MACHINE;
use super::storage::{self, VIEW_PK, VIEW_SK, index_arn, table_arn, view_table_id};
use super::{Stack, params};
use crate::ir::{Api, Auth, FieldType, KeyPart, KeyTemplate, StatusRoute, View};
use crate::naming::Resource as Aws;
use crate::schemas;

/// Logical id of the REST API.
pub const API: &str = "Api";
/// Logical id of the stage.
pub const STAGE: &str = "ApiStage";

const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationStatus":"$context.integration.status","integrationLatency":"$context.integration.latency","xrayTraceId":"$context.xrayTraceId"}"#;

pub(super) fn build(stack: &mut Stack<'_>) {
    let Some(api) = stack.saga.api.as_ref() else {
        return;
    };
    let saga = stack.saga;
    let mut definition: Vec<(String, Resource)> = Vec::new();

    stack.template.add(
        API,
        Resource::new(
            "AWS::ApiGateway::RestApi",
            json!({
                "Name": sub(format!("{}-${{{}}}", api.name, params::ENVIRONMENT)),
                "Description": format!("Starts {} sagas and reads their status.", saga.name),
                "EndpointConfiguration": { "Types": ["REGIONAL"] },
                "Tags": stack.tags("api"),
            }),
        ),
    );

    // Path resources, shared prefixes once.
    let mut paths: Vec<String> = vec![api.start_path.clone()];
    if let Some(status) = &api.status {
        paths.push(status.path.clone());
    }
    let mut resources: Vec<(String, String)> = Vec::new(); // (path, logical id)
    for path in &paths {
        let mut current = String::new();
        let mut parent = att(API, "RootResourceId");
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            current.push('/');
            current.push_str(segment);
            let id = format!("ApiPath{}", logical(&current));
            if !resources.iter().any(|(p, _)| *p == current) {
                definition.push((
                    id.clone(),
                    Resource::new(
                        "AWS::ApiGateway::Resource",
                        json!({ "RestApiId": r(API), "ParentId": parent, "PathPart": segment }),
                    ),
                ));
                resources.push((current.clone(), id.clone()));
            }
            parent = r(&id);
        }
    }
    let resource_of = |path: &str| {
        resources
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };

    definition.push((
        "ApiRequestValidator".into(),
        Resource::new(
            "AWS::ApiGateway::RequestValidator",
            json!({
                "RestApiId": r(API),
                "Name": "body-and-parameters",
                "ValidateRequestBody": true,
                "ValidateRequestParameters": true,
            }),
        ),
    ));
    definition.push((
        "ApiStartRequestModel".into(),
        Resource::new(
            "AWS::ApiGateway::Model",
            json!({
                "RestApiId": r(API),
                "Name": "StartRequest",
                "Description": format!("The request that starts a {} saga.", saga.name),
                "ContentType": "application/json",
                "Schema": schemas::start_request(saga, false),
            }),
        ),
    ));
    if let Auth::Cognito { user_pool_arn } = &api.auth {
        definition.push((
            "ApiAuthorizer".into(),
            Resource::new(
                "AWS::ApiGateway::Authorizer",
                json!({
                    "RestApiId": r(API),
                    "Name": "cognito",
                    "Type": "COGNITO_USER_POOLS",
                    "ProviderARNs": [user_pool_arn],
                    "IdentitySource": "method.request.header.Authorization",
                }),
            ),
        ));
    }

    // Start route.
    stack.template.add(
        "ApiStartRole",
        role(
            assume_role_from_account("apigateway.amazonaws.com"),
            "least-privilege",
            vec![allow(
                "StartExecutions",
                &["states:StartExecution"],
                vec![r(STATE_MACHINE)],
            )],
            &[],
            stack.tags("api"),
        ),
    );
    let start = method(
        api,
        json!({
            "HttpMethod": "POST",
            "ResourceId": r(&resource_of(&api.start_path)),
            "RestApiId": r(API),
            "OperationName": "StartSaga",
            "RequestValidatorId": r("ApiRequestValidator"),
            "RequestModels": { "application/json": r("ApiStartRequestModel") },
            "Integration": {
                "Type": "AWS",
                "IntegrationHttpMethod": "POST",
                "Uri": sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution"),
                "Credentials": att("ApiStartRole", "Arn"),
                "PassthroughBehavior": "NEVER",
                "RequestTemplates": { "application/json": sub(start_template(&saga.root.id_field)) },
                "IntegrationResponses": [
                    { "StatusCode": "202", "ResponseTemplates": { "application/json": "$input.json('$')" } },
                    { "StatusCode": "400", "SelectionPattern": "4\\d{2}", "ResponseTemplates": { "application/json": "{\"message\": $input.json('$.message')}" } },
                    { "StatusCode": "500", "SelectionPattern": "5\\d{2}", "ResponseTemplates": { "application/json": "{\"message\": \"the saga could not be started\"}" } },
                ],
            },
            "MethodResponses": [{ "StatusCode": "202" }, { "StatusCode": "400" }, { "StatusCode": "500" }],
        }),
    );
    definition.push(("ApiStartMethod".into(), start));

    // Status route.
    if let Some(status) = &api.status
        && let Some(view) = saga.view(&status.view)
    {
        let table_id = view_table_id(view);
        let target = match &status.index {
            Some(index) => index_arn(&table_id, index),
            None => table_arn(&table_id),
        };
        stack.template.add(
            "ApiStatusRole",
            role(
                assume_role_from_account("apigateway.amazonaws.com"),
                "least-privilege",
                vec![
                    allow("QueryView", &["dynamodb:Query"], vec![target]),
                    allow("DecryptView", &["kms:Decrypt"], vec![stack.key_arn()]),
                ],
                &[],
                stack.tags("api"),
            ),
        );
        let (template, fields) = status_template(view, status);
        let mut parameters = Map::new();
        for field in &fields {
            let place = if *field == status.parameter {
                "path"
            } else {
                "querystring"
            };
            parameters.insert(format!("method.request.{place}.{field}"), Value::from(true));
        }
        let get = method(
            api,
            json!({
                "HttpMethod": "GET",
                "ResourceId": r(&resource_of(&status.path)),
                "RestApiId": r(API),
                "OperationName": "GetSagaStatus",
                "RequestValidatorId": r("ApiRequestValidator"),
                "RequestParameters": parameters,
                "Integration": {
                    "Type": "AWS",
                    "IntegrationHttpMethod": "POST",
                    "Uri": sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/Query"),
                    "Credentials": att("ApiStatusRole", "Arn"),
                    "PassthroughBehavior": "NEVER",
                    "RequestTemplates": { "application/json": sub_with(template, json!({ "ViewTable": r(&table_id) })) },
                    "IntegrationResponses": [
                        { "StatusCode": "200", "ResponseTemplates": { "application/json": status_response(view) } },
                        { "StatusCode": "400", "SelectionPattern": "4\\d{2}", "ResponseTemplates": { "application/json": "{\"message\": \"bad request\"}" } },
                        { "StatusCode": "500", "SelectionPattern": "5\\d{2}", "ResponseTemplates": { "application/json": "{\"message\": \"the status could not be read\"}" } },
                    ],
                },
                "MethodResponses": [{ "StatusCode": "200" }, { "StatusCode": "400" }, { "StatusCode": "404" }, { "StatusCode": "500" }],
            }),
        );
        definition.push(("ApiStatusMethod".into(), get));
    }

    // The deployment: a new logical id whenever the definition changes.
    let fingerprint: Vec<Value> = definition
        .iter()
        .map(|(id, res)| json!([id, res.properties()]))
        .collect();
    let deployment_id = format!("ApiDeployment{}", digest(&Value::from(fingerprint), 10));
    let methods: Vec<String> = definition
        .iter()
        .filter(|(_, res)| res.ty() == "AWS::ApiGateway::Method")
        .map(|(id, _)| id.clone())
        .collect();
    for (id, res) in definition {
        stack.template.add(id, res);
    }
    stack.template.add(
        &deployment_id,
        Resource::new(
            "AWS::ApiGateway::Deployment",
            json!({ "RestApiId": r(API), "Description": "Generated by sagac; the logical id hashes the API definition." }),
        )
        .depends_on(&methods),
    );

    // Logging: the account's CloudWatch role (a regional setting API Gateway
    // needs before any stage may log), the access log group, the stage.
    stack.template.add(
        "ApiGatewayCloudWatchRole",
        role(
            assume_role_from_account("apigateway.amazonaws.com"),
            "none",
            Vec::new(),
            &[sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")],
            stack.tags("api"),
        )
        .retain()
        .metadata(
            "sagac",
            json!({ "about": "The region's API Gateway logging role is an account-wide setting; retained so that deleting this stack does not break logging of other APIs." }),
        ),
    );
    stack.template.add(
        "ApiGatewayAccount",
        Resource::new(
            "AWS::ApiGateway::Account",
            json!({ "CloudWatchRoleArn": att("ApiGatewayCloudWatchRole", "Arn") }),
        ),
    );
    let retention = saga.observability.log_retention_days;
    let log_group_name = stack.named(Aws::LogGroup, format!("/aws/apigateway/{}", saga.kebab));
    stack.template.add(
        "ApiAccessLogGroup",
        Resource::new(
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": log_group_name,
                "RetentionInDays": retention,
                "KmsKeyId": stack.key_arn(),
                "Tags": stack.tags("api"),
            }),
        ),
    );
    stack.template.add(
        STAGE,
        Resource::new(
            "AWS::ApiGateway::Stage",
            json!({
                "RestApiId": r(API),
                "StageName": r(params::ENVIRONMENT),
                "Description": format!("The {} saga's API.", saga.name),
                "DeploymentId": r(&deployment_id),
                "TracingEnabled": saga.observability.tracing,
                "AccessLogSetting": { "DestinationArn": att("ApiAccessLogGroup", "Arn"), "Format": ACCESS_LOG_FORMAT },
                "MethodSettings": [{
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": api.throttle_rate,
                    "ThrottlingBurstLimit": api.throttle_burst,
                    "MetricsEnabled": true,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": false,
                }],
                "Tags": stack.tags("api"),
            }),
        )
        .depends_on(&["ApiGatewayAccount"])
        .checkov_skip(
            "CKV_AWS_120",
            "No cache on purpose: POST start is not cacheable, and GET status must show the saga's current state, not a cached one.",
        )
        .checkov_skip_if(
            !saga.observability.tracing,
            "CKV_AWS_73",
            "Tracing is switched off in the spec (observability.tracing: false).",
        ),
    );
}

/// A method with the spec's authorisation.
fn method(api: &Api, mut properties: Value) -> Resource {
    let (kind, authorizer) = match &api.auth {
        Auth::Iam => ("AWS_IAM", None),
        Auth::Cognito { .. } => ("COGNITO_USER_POOLS", Some(r("ApiAuthorizer"))),
        Auth::None => ("NONE", None),
    };
    if let Some(object) = properties.as_object_mut() {
        object.insert("AuthorizationType".into(), Value::from(kind));
        if let Some(id) = authorizer {
            object.insert("AuthorizerId".into(), id);
        }
    }
    let resource = Resource::new("AWS::ApiGateway::Method", properties);
    if api.auth == Auth::None {
        resource.checkov_skip(
            "CKV_AWS_59",
            "The spec opts out of authorisation explicitly (api.auth: none); the default is IAM.",
        )
    } else {
        resource
    }
}

/// The StartExecution request template: the execution is named after the
/// saga id, the input is `{"request": <body>}`. `escapeJavaScript` escapes
/// single quotes, which JSON does not allow; they are put back.
fn start_template(id_field: &str) -> String {
    format!(
        "#set($body = $input.json('$'))\n{{\n  \"stateMachineArn\": \"${{{STATE_MACHINE}}}\",\n  \"name\": \"$util.escapeJavaScript($input.path('$.{id_field}'))\",\n  \"input\": \"{{\\\"request\\\": $util.escapeJavaScript($body).replaceAll(\"\\\\'\", \"'\")}}\"\n}}\n"
    )
}

/// A key template as VTL inside a JSON string: literals escaped, fields
/// from the method request's parameters. Returns the text and the fields.
fn key_vtl(template: &KeyTemplate, fields: &mut Vec<String>) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            KeyPart::Literal(text) => {
                let quoted = serde_json::to_string(text).unwrap_or_default();
                out.push_str(&sub_escape(&quoted[1..quoted.len() - 1]));
            }
            KeyPart::Field(name) => {
                if !fields.contains(name) {
                    fields.push(name.clone());
                }
                out.push_str(&format!("$util.escapeJavaScript($input.params('{name}'))"));
            }
        }
    }
    out
}

/// The Query request template of the status route, and the request
/// parameters it reads (the path parameter first).
fn status_template(view: &View, status: &StatusRoute) -> (String, Vec<String>) {
    let mut fields = vec![status.parameter.clone()];
    let (index, pk_attr, pk) = match status
        .index
        .as_ref()
        .and_then(|i| view.indexes.iter().find(|k| &k.index == i))
    {
        Some(keys) => (
            Some(keys.index.as_str()),
            storage::view_index_pk(&keys.index),
            &keys.pk,
        ),
        None => (None, VIEW_PK.to_owned(), &view.pk),
    };
    let pk_value = key_vtl(pk, &mut fields);
    let mut text = String::from("{\n  \"TableName\": \"${ViewTable}\",\n");
    if let Some(index) = index {
        text.push_str(&format!("  \"IndexName\": \"{index}\",\n"));
    }
    let sk = if index.is_none() {
        view.sk.as_ref()
    } else {
        None
    };
    match sk {
        Some(sk) => {
            let sk_value = key_vtl(sk, &mut fields);
            text.push_str(&format!(
                "  \"KeyConditionExpression\": \"#pk = :pk AND #sk = :sk\",\n  \"ExpressionAttributeNames\": {{\"#pk\": \"{pk_attr}\", \"#sk\": \"{VIEW_SK}\"}},\n  \"ExpressionAttributeValues\": {{\":pk\": {{\"S\": \"{pk_value}\"}}, \":sk\": {{\"S\": \"{sk_value}\"}}}},\n"
            ));
        }
        None => {
            text.push_str(&format!(
                "  \"KeyConditionExpression\": \"#pk = :pk\",\n  \"ExpressionAttributeNames\": {{\"#pk\": \"{pk_attr}\"}},\n  \"ExpressionAttributeValues\": {{\":pk\": {{\"S\": \"{pk_value}\"}}}},\n"
            ));
        }
    }
    text.push_str("  \"Limit\": 1\n}\n");
    (text, fields)
}

/// The status response template: the first item as plain JSON by field
/// type, or 404 when there is none.
fn status_response(view: &View) -> String {
    let mut out = String::from(
        "#set($items = $input.path('$.Items'))\n#if($items.size() == 0)\n#set($context.responseOverride.status = 404)\n{\"message\": \"not found\"}\n#else\n#set($item = $items.get(0))\n{\n",
    );
    let n = view.fields.len();
    for (i, field) in view.fields.iter().enumerate() {
        let f = &field.name;
        let string =
            format!("\"$util.escapeJavaScript($item.{f}.S).replaceAll(\"\\\\'\", \"'\")\"");
        let value = match field.ty {
            FieldType::Int => format!("#if($item.{f}.N)$item.{f}.N#{{else}}null#end"),
            FieldType::Decimal => {
                format!("#if($item.{f}.N)$item.{f}.N#elseif($item.{f}.S){string}#{{else}}null#end")
            }
            FieldType::Bool => {
                format!("#if(\"$!item.{f}.BOOL\" != \"\")$item.{f}.BOOL#{{else}}null#end")
            }
            FieldType::String | FieldType::Date | FieldType::Timestamp => {
                format!("#if($item.{f}.S){string}#{{else}}null#end")
            }
        };
        let comma = if i + 1 < n { "," } else { "" };
        out.push_str(&format!("  \"{f}\": {value}{comma}\n"));
    }
    out.push_str("}\n#end\n");
    out
}
