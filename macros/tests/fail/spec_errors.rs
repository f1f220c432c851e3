// Every diagnostic of the spec is a compile error at the path literal.
sagac_macros::saga!("tests/specs/unknown-service.saga.yaml");

fn main() {}
