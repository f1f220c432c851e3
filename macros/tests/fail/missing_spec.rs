sagac_macros::saga!("spec/no-such.saga.yaml");

fn main() {}
