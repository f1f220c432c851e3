sagac_macros::saga!("/work/spec/trip.saga.yaml");

fn main() {}
