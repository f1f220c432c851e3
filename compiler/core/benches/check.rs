//! `check` (parse, structural check, validation into the IR) of the
//! reference spec and of a generated 1,000-step spec.
//!
//! Run with `cargo bench -p sagac-core`. Targets: reference under 5 ms,
//! 1,000 steps under 200 ms.

use std::fmt::Write;

use sagac_core::source::SourceFile;

const REFERENCE: &str = include_str!("../../../spec/trip.saga.yaml");

fn main() {
    divan::main();
}

#[divan::bench]
fn reference(bencher: divan::Bencher) {
    let file = SourceFile::new("trip.saga.yaml", REFERENCE);
    assert!(sagac_core::compile(&file).is_ok());
    bencher.bench(|| sagac_core::compile(divan::black_box(&file)).is_ok());
}

#[divan::bench(args = [100, 1_000])]
fn generated_steps(bencher: divan::Bencher, steps: usize) {
    let file = SourceFile::new("generated.saga.yaml", generate(steps));
    if let Err(diagnostics) = sagac_core::compile(&file) {
        panic!("{}", sagac_core::diagnostic::render(&file, &diagnostics));
    }
    bencher.bench(|| sagac_core::compile(divan::black_box(&file)).is_ok());
}

/// A valid spec of `steps` compensatable steps over five services, each step
/// with its own action, compensation, entity and events.
pub fn generate(steps: usize) -> String {
    const SERVICES: [&str; 5] = ["inventory", "payment", "shipping", "loyalty", "billing"];
    let mut s = String::new();
    s.push_str(
        "sagac: 1\nname: GeneratedSaga\ntimeout: 7d\n\
         root:\n  entity: Order\n  id: order_id\n\
         \x20 on_success: { status: DONE, event: OrderDone }\n\
         \x20 on_failure: { status: UNDONE, event: OrderUndone }\n\
         \x20 on_compensation_failure: { status: STUCK, event: OrderStuck }\n\
         table:\n  name: GeneratedTable\n  indexes:\n    GSI1: { pk: GSI1PK, sk: GSI1SK }\n\
         entities:\n  Order:\n    pk: \"ORDER#{order_id}\"\n    sk: METADATA\n\
         \x20   fields: { order_id: string, status: string, customer_id: string }\n",
    );
    for i in 0..steps {
        let _ = write!(
            s,
            "  Item{i}:\n    pk: \"ORDER#{{order_id}}\"\n    sk: \"ITEM{i}#{{item_id}}\"\n\
             \x20   indexes:\n      GSI1: {{ pk: \"ITEM{i}#{{item_id}}\", sk: \"ORDER#{{order_id}}\" }}\n\
             \x20   fields:\n      order_id: string\n      item_id: string\n      quantity: int\n      price: decimal\n      status: string\n"
        );
    }
    s.push_str("outbox:\n  bus: GeneratedEvents\n  source: bench.generated\nevents:\n");
    s.push_str("  OrderDone: { entity: Order }\n  OrderUndone: { entity: Order }\n  OrderStuck: { entity: Order, alert: true }\n");
    for i in 0..steps {
        let _ = write!(
            s,
            "  Item{i}Done: {{ entity: Item{i} }}\n  Item{i}Undone: {{ entity: Item{i}, fields: [order_id, item_id, status] }}\n"
        );
    }
    s.push_str("services:\n");
    for service in SERVICES {
        let _ = writeln!(s, "  {service}: {{ timeout: 10s, memory: 512 }}");
    }
    s.push_str(
        "request:\n  order_id: string\n  customer_id: string\n\
         defaults:\n  timeout: 15s\n  retry: &retry { errors: [TransientError], attempts: 3, interval: 1s, backoff: 2.0, max_delay: 10s }\n\
         \x20 compensation_retry: { errors: [TransientError], attempts: 6, interval: 2s, max_delay: 1m }\n\
         steps:\n",
    );
    for i in 0..steps {
        let service = SERVICES[i % SERVICES.len()];
        let _ = write!(
            s,
            "  - name: Step{i}\n    service: {service}\n    action: do_step_{i}\n    writes: Item{i}\n    emits: Item{i}Done\n\
             \x20   errors: [Rejected{i}]\n    retry: *retry\n\
             \x20   compensation: {{ name: UndoStep{i}, action: undo_step_{i}, emits: Item{i}Undone }}\n"
        );
    }
    s.push_str("deployment:\n  region: eu-west-1\n");
    s
}
