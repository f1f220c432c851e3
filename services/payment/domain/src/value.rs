//! Identifiers and codes: small values that are valid by construction.

use travel_kernel::is_identifier;

use super::TripId;

travel_kernel::text_value!(
    /// The identifier of a payment transaction, the `{payment_id}` of its sort
    /// key `PAYMENT#{payment_id}`.
    PaymentId,
    "a payment id of 1 to 64 ASCII letters, digits, '-' or '_'",
    is_identifier
);

impl PaymentId {
    /// The id of the one payment a trip can make.
    ///
    /// It is derived from the trip rather than drawn at random so that a
    /// retried charge and its refund address the same item, and the store's
    /// conditional write is what decides which came first.
    pub fn for_trip(trip_id: &TripId) -> PaymentId {
        PaymentId(format!("PT-{trip_id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_ids_derive_from_the_trip() {
        let trip = TripId::new("trip-0001").unwrap();
        assert_eq!(PaymentId::for_trip(&trip).as_str(), "PT-trip-0001");
        assert!(PaymentId::new("PT#1").is_err());
    }
}
