//! Every file `sagac init` and `sagac scaffold` render, snapshotted: the
//! output is a function of the spec and the options alone.

use sagac_core::source::SourceFile;
use sagac_scaffold::{File, Init, Layout, Sagac, Template};

fn listing(files: &[File]) -> String {
    files
        .iter()
        .map(|f| format!("==> {} <==\n{}", f.path, f.contents))
        .collect::<Vec<_>>()
        .join("\n")
}

fn release() -> Sagac {
    Sagac::Git {
        url: "https://example.invalid/sagac".to_owned(),
        tag: "v0.1.0".to_owned(),
    }
}

#[test]
fn init_minimal() {
    let project = sagac_scaffold::init(&Init {
        name: "order-desk".to_owned(),
        template: Template::Minimal,
        sagac: release(),
    })
    .unwrap();
    assert_eq!(project.spec_path, "spec/order-desk.saga.yaml");
    // The schema is `sagac schema`'s; its own tests cover it.
    let files: Vec<File> = project
        .files
        .into_iter()
        .filter(|f| f.path != "spec/saga.schema.json")
        .collect();
    insta::assert_snapshot!(listing(&files));
}

#[test]
fn init_travel() {
    let project = sagac_scaffold::init(&Init {
        name: "trips".to_owned(),
        template: Template::Travel,
        sagac: Sagac::Path("/opt/sagac".to_owned()),
    })
    .unwrap();
    let files: Vec<File> = project
        .files
        .into_iter()
        .filter(|f| !f.path.starts_with("spec/"))
        .collect();
    insta::assert_snapshot!(listing(&files));
}

#[test]
fn scaffold_ticket_sale() {
    let text = include_str!("../../../spec/examples/ticket-sale.saga.yaml");
    let file = SourceFile::new("spec/ticket-sale.saga.yaml", text);
    let saga = sagac_core::compile(&file).unwrap();
    let layout = Layout {
        spec: "spec/ticket-sale.saga.yaml".to_owned(),
        services: "crates".to_owned(),
        generated: "generated/ticket-sale".to_owned(),
    };
    let files = sagac_scaffold::scaffold(&saga, &file, &layout, &[], &release(), false).unwrap();
    insta::assert_snapshot!(listing(&files));
    // The same call, the same bytes.
    let again = sagac_scaffold::scaffold(&saga, &file, &layout, &[], &release(), false).unwrap();
    assert_eq!(files, again);
}

#[test]
fn scaffold_refuses_unknown_services() {
    let text = include_str!("../../../spec/examples/ticket-sale.saga.yaml");
    let file = SourceFile::new("spec/ticket-sale.saga.yaml", text);
    let saga = sagac_core::compile(&file).unwrap();
    let layout = Layout {
        spec: "spec/ticket-sale.saga.yaml".to_owned(),
        services: "services".to_owned(),
        generated: "generated/ticket-sale".to_owned(),
    };
    let error =
        sagac_scaffold::scaffold(&saga, &file, &layout, &["box".to_owned()], &release(), true)
            .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the spec has no service `box`; its services are `seating`, `billing`"
    );
}
