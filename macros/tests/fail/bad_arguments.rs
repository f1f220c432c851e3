mod unknown_service {
    sagac_macros::saga!("spec/trip.saga.yaml", service = "hotell");
}

mod unknown_argument {
    sagac_macros::saga!("spec/trip.saga.yaml", services = "flight");
}

mod not_a_literal {
    sagac_macros::saga!(spec);
}

fn main() {}
