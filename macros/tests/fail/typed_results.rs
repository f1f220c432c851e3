// An earlier step's output that a step declares in `input:` is typed and
// never missing: `ChargeCard` receives `HoldSeats`'s `SeatHold` itself.
sagac_macros::saga!("spec/examples/ticket-sale.saga.yaml", service = "billing");
use ticket_sale::*;

fn held(command: ChargeCardCommand) -> bool {
    command.input.hold_seats.is_some()
}

fn main() {
    let _ = held;
}
