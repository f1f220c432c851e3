//! One rule for generated AWS names (S077, `sagac_core::naming`): every
//! boundary is tested from both sides (the longest name accepted, the first
//! refused), the accepted names are emitted exactly as checked (no
//! shortening), and every physical name in the generated templates is one the
//! rule knows.

use std::path::Path;

use sagac_core::emit::{cfn, pipeline};
use sagac_core::ir::Saga;
use sagac_core::naming::{self, ENVIRONMENT_MAX, Resource};
use serde_json::Value;

/// A complete, valid order checkout saga (`OrderCheckout`, services
/// `payment` and `shipping`, view `OrderView`).
fn base() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/invalid/S081-site-typo.saga.yaml");
    std::fs::read_to_string(path)
        .unwrap()
        .replace("site: datadoghq.co\n", "site: datadoghq.com\n")
}

fn compile(text: &str) -> Result<Saga, Vec<String>> {
    sagac_core::compile_bytes("test.saga.yaml", text.as_bytes()).map_err(|(_, d)| {
        d.iter()
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect()
    })
}

fn accepted(text: &str) -> Saga {
    compile(text).unwrap_or_else(|d| panic!("refused: {d:?}"))
}

/// Refused with exactly one diagnostic, S077, whose message contains `says`.
fn refused(text: &str, says: &str) {
    let diagnostics = compile(text).expect_err("refused");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(diagnostics[0].starts_with("S077 "), "{diagnostics:?}");
    assert!(diagnostics[0].contains(says), "{diagnostics:?}");
}

/// A PascalCase saga name whose kebab form has `n` characters.
fn saga_name(n: usize) -> String {
    format!("O{}", "x".repeat(n - 1))
}

/// The base with a one-letter view (so the dispatcher is the longest name
/// built from the saga name alone) and the given saga name.
fn with_saga(name: &str) -> String {
    base()
        .replace("OrderView", "V")
        .replace("name: OrderCheckout\n", &format!("name: {name}\n"))
}

#[test]
fn saga_name_boundary() {
    // `<saga>-outbox-dispatcher-` + 16: the saga's kebab name is at most 29.
    let saga = accepted(&with_saga(&saga_name(29)));
    let dispatcher = format!("{}-outbox-dispatcher", saga.kebab);
    assert_eq!(dispatcher.len() + 1 + ENVIRONMENT_MAX, 64);
    refused(
        &with_saga(&saga_name(30)),
        "outbox-dispatcher-${EnvironmentName}",
    );
}

#[test]
fn a_61_character_saga_name_is_refused_once_at_the_name() {
    let diagnostics = compile(&with_saga(&saga_name(61))).expect_err("refused");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
}

fn with_service(service: &str) -> String {
    base()
        .replace("  shipping:\n", &format!("  {service}:\n"))
        .replace("service: shipping\n", &format!("service: {service}\n"))
}

#[test]
fn service_function_boundary_and_a_64_character_name() {
    // `order-checkout-<service>-` + 16 = 64: the service name is at most 32.
    let service = "s".repeat(32);
    let saga = accepted(&with_service(&service));
    let template = cfn::template(&saga);
    let names = sub_names(&template, "FunctionName");
    let expected = format!("order-checkout-{service}-${{EnvironmentName}}");
    assert!(names.contains(&expected), "{names:?}");
    assert_eq!(
        expected.len() - "${EnvironmentName}".len() + ENVIRONMENT_MAX,
        64
    );
    refused(&with_service(&"s".repeat(33)), "Lambda allows 64");
}

#[test]
fn hook_function_boundary() {
    let hooks = |service: &str| {
        with_service(service).replace(
            "deployment:\n",
            "deployment:\n  hooks: { before_traffic: true }\n",
        )
    };
    // `CodeDeployHook_order-checkout-<service>-before-` + 16 = 64: the
    // longest hook name kept whole.
    let whole = format!(
        "CodeDeployHook_order-checkout-{}-before-${{EnvironmentName}}",
        "s".repeat(10)
    );
    let names = sub_names(
        &cfn::template(&accepted(&hooks(&"s".repeat(10)))),
        "FunctionName",
    );
    assert!(names.contains(&whole), "{names:?}");
    // One more character: the hook (only CodeDeploy invokes it) is the one
    // name shortened, deterministically, and its description says so.
    let saga = accepted(&hooks(&"s".repeat(11)));
    let template = cfn::template(&saga);
    let full = format!("CodeDeployHook_order-checkout-{}-before", "s".repeat(11));
    let stem = naming::hook_stem("order-checkout", &"s".repeat(11), "before");
    assert_eq!(stem.len(), 64 - 1 - ENVIRONMENT_MAX);
    assert!(
        stem.starts_with("CodeDeployHook_order-checkout-sss"),
        "{stem}"
    );
    assert_eq!(
        stem,
        naming::hook_stem("order-checkout", &"s".repeat(11), "before")
    );
    assert_ne!(
        stem,
        naming::hook_stem("order-checkout", &"s".repeat(12), "before")
    );
    let names = sub_names(&template, "FunctionName");
    assert!(
        names.contains(&naming::with_environment(&stem)),
        "{names:?}"
    );
    let described = serde_json::to_string(&template).unwrap();
    assert!(described.contains(&format!("Name shortened from {full}-<environment>")));
    for description in sub_or_text(&template, "Description") {
        assert!(description.len() <= 256, "{description}");
    }
    // The longest service name: its hook's description still fits
    // Lambda's 256 characters. The service's own function is never
    // shortened: at 33 it is refused.
    let longest = cfn::template(&accepted(&hooks(&"s".repeat(32))));
    for description in sub_or_text(&longest, "Description") {
        assert!(description.len() <= 256, "{description}");
    }
    refused(&hooks(&"s".repeat(33)), "Lambda allows 64");
}

#[test]
fn projector_function_boundary() {
    // `order-checkout-<view>-projector-` + 16 = 64: the view's kebab name is
    // at most 22 characters.
    let view = |n: usize| base().replace("OrderView", &format!("V{}", "w".repeat(n - 1)));
    accepted(&view(22));
    refused(&view(23), "-projector-${EnvironmentName}");
}

#[test]
fn table_and_bus_boundaries() {
    let table =
        |n: usize| base().replace("name: OrderTable\n", &format!("name: {}\n", "t".repeat(n)));
    accepted(&table(238));
    refused(&table(239), "DynamoDB allows 255");
    let view_table = |n: usize| {
        let text = base();
        let at = text.find("    table: ").expect("the view names its table");
        let end = at + text[at..].find('\n').unwrap();
        format!(
            "{}    table: {}{}",
            &text[..at],
            "v".repeat(n),
            &text[end..]
        )
    };
    accepted(&view_table(238));
    refused(&view_table(239), "DynamoDB allows 255");
    let bus = |n: usize| base().replace("bus: OrderEvents\n", &format!("bus: {}\n", "b".repeat(n)));
    accepted(&bus(239));
    refused(&bus(240), "EventBridge allows 256");
}

/// The limits themselves, including those no spec can reach first (a saga
/// name long enough to break the state machine's 80 breaks the dispatcher's
/// 64 before).
#[test]
fn every_resource_limit_counts_the_environment() {
    let cases = [
        (Resource::Function, 64),
        (Resource::StateMachine, 80),
        (Resource::Table, 255),
        (Resource::EventBus, 256),
        (Resource::KmsAlias, 256),
        (Resource::LogGroup, 512),
        (Resource::MetricStream, 255),
        (Resource::Stack, 128),
    ];
    for (resource, limit) in cases {
        assert_eq!(resource.limit(), limit);
        let fits = naming::PhysicalName {
            resource,
            stem: "a".repeat(limit - 1 - ENVIRONMENT_MAX),
            origin: naming::Origin::Saga,
        };
        assert_eq!(fits.excess(), 0, "{resource:?}");
        let over = naming::PhysicalName {
            stem: format!("{}a", fits.stem),
            ..fits
        };
        assert_eq!(over.excess(), 1, "{resource:?}");
    }
}

/// Every plain-text `key` property in a template.
fn sub_or_text(template: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![template];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == key
                        && let Some(text) = v.as_str()
                    {
                        out.push(text.to_owned());
                    }
                    stack.push(v);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// `Fn::Sub` bodies of every `key` property in a template.
fn sub_names(template: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect(template, key, &mut out);
    out
}

fn collect(value: &Value, key: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key
                    && let Some(text) = v.get("Fn::Sub").and_then(Value::as_str)
                {
                    out.push(text.to_owned());
                }
                collect(v, key, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, key, out)),
        _ => {}
    }
}

/// Every spec of the repository, and the boundary specs above.
fn sagas() -> Vec<(String, Saga)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("examples")] {
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".saga.yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), accepted(&text)));
        }
    }
    out.push(("longest saga".into(), accepted(&with_saga(&saga_name(29)))));
    out.push((
        "longest service".into(),
        accepted(&with_service(&"s".repeat(32))),
    ));
    let hooks = with_service(&"s".repeat(10)).replace(
        "deployment:\n",
        "deployment:\n  hooks: { before_traffic: true, after_traffic: true }\n",
    );
    out.push(("hooks".into(), accepted(&hooks)));
    out
}

/// The names the templates carry are exactly the names the rule checks, and
/// each fits its limit with the longest environment name. IAM roles are not
/// named (CloudFormation names them), so their 64-character limit never
/// applies.
#[test]
fn templates_use_only_checked_names() {
    let keys = [
        "FunctionName",
        "StateMachineName",
        "TableName",
        "Name",
        "AliasName",
        "LogGroupName",
        "StackName",
    ];
    for (name, saga) in sagas() {
        let known: Vec<String> = naming::physical_names(&saga)
            .iter()
            .inspect(|n| assert_eq!(n.excess(), 0, "{name}: {n:?}"))
            .map(naming::PhysicalName::sub)
            .collect();
        for template in [cfn::template(&saga), pipeline::template(&saga)] {
            assert!(sub_names(&template, "RoleName").is_empty(), "{name}");
            let resources = template["Resources"].as_object().unwrap();
            // A REST API's name has no documented limit.
            let checked = resources
                .values()
                .filter(|r| r["Type"] != "AWS::ApiGateway::RestApi")
                .map(|r| &r["Properties"]);
            for (key, properties) in checked.flat_map(|p| keys.iter().map(move |k| (*k, p))) {
                for sub in sub_names(properties, key) {
                    if !sub.ends_with("-${EnvironmentName}") || sub.contains("${AWS::") {
                        continue;
                    }
                    assert!(
                        known.contains(&sub),
                        "{name}: `{sub}` ({key}) is not in naming::physical_names"
                    );
                }
            }
        }
    }
}

/// Invalid names still go through the length rule (their own problem is
/// reported too); non-ASCII ones must not make it panic.
#[test]
fn invalid_long_names_are_reported_without_a_panic() {
    let name = format!("Ö{}", "ü".repeat(40));
    let text = with_service(&"ß".repeat(30))
        .replace("name: OrderCheckout\n", &format!("name: {name}\n"))
        .replace(
            "deployment:\n",
            "deployment:\n  hooks: { before_traffic: true, after_traffic: true }\n",
        );
    let result = std::panic::catch_unwind(|| compile(&text));
    let diagnostics = result.expect("no panic").expect_err("refused");
    assert!(
        diagnostics.iter().any(|d| d.starts_with("S074 ")),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics.iter().any(|d| d.starts_with("S077 ")),
        "{diagnostics:?}"
    );
}
