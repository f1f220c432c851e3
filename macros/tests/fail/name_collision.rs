// Names that would collide in the generated Rust are refused by the
// validator (S033), so the macro reports exactly what `sagac check` reports.
sagac_macros::saga!("spec/invalid/S033-event-named-like-command.saga.yaml");

fn main() {}
