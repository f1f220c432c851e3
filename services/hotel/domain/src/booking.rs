//! The hotel booking a trip holds, and what a trip asks for.

use std::fmt;
use std::str::FromStr;

use super::{Date, HotelCode, HotelError, HotelId, InvalidValue, Price, TripId};

/// Where a hotel booking stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BookingStatus {
    /// The rooms are held for the trip on every night of the stay.
    Reserved,
    /// The booking was cancelled and its rooms released.
    Cancelled,
}

impl BookingStatus {
    /// The status as the `status` field stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Reserved => "RESERVED",
            BookingStatus::Cancelled => "CANCELLED",
        }
    }
}

impl FromStr for BookingStatus {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<BookingStatus, InvalidValue> {
        match text {
            "RESERVED" => Ok(BookingStatus::Reserved),
            "CANCELLED" => Ok(BookingStatus::Cancelled),
            _ => Err(InvalidValue::new("RESERVED or CANCELLED", text)),
        }
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rooms a trip holds in a hotel for a stay: the spec's `HotelBooking`
/// entity, stored under `TRIP#{trip_id}` / `HOTEL#{hotel_id}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotelBooking {
    /// The trip that holds the rooms.
    pub trip_id: TripId,
    /// The booking's id, derived from the trip.
    pub hotel_id: HotelId,
    /// The hotel.
    pub hotel_code: HotelCode,
    /// The day of arrival: the first night of the stay.
    pub check_in: Date,
    /// The day of departure, after the last night of the stay.
    pub check_out: Date,
    /// How many rooms are held each night.
    pub rooms: u32,
    /// What the stay costs: each night's rate times the rooms, summed.
    pub price: Price,
    /// Whether the rooms are still held.
    pub status: BookingStatus,
}

impl HotelBooking {
    /// Whether this booking is what `request` asks for, so that a repeated
    /// request can be answered with it.
    pub fn fulfils(&self, request: &StayRequest) -> bool {
        self.trip_id == request.trip_id
            && self.hotel_code == request.hotel_code
            && self.check_in == request.check_in
            && self.check_out == request.check_out
            && self.rooms == request.rooms
    }

    /// The nights the booking holds rooms on.
    pub fn nights(&self) -> Vec<Date> {
        night_dates(self.check_in, self.check_out).collect()
    }
}

/// What a trip asks of the hotel service: rooms in one hotel for every night
/// from check-in to check-out. A request is valid by construction, so the
/// rules never see, and the store is never asked about, an impossible stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StayRequest {
    trip_id: TripId,
    hotel_code: HotelCode,
    check_in: Date,
    check_out: Date,
    rooms: u32,
}

impl StayRequest {
    /// The most rooms one trip may hold, as the saga's request allows.
    pub const MAX_ROOMS: u32 = 9;

    /// The longest stay one booking covers. Every night is an item the
    /// booking's transaction writes, and 30 nights keep it far below the
    /// 100 items a DynamoDB transaction may hold; longer stays are
    /// long-term rentals, which this service does not sell.
    pub const MAX_NIGHTS: usize = 30;

    /// A stay of `rooms` rooms from `check_in` to `check_out`, or
    /// [`HotelError::InvalidCommand`] naming the field at fault: 1 to
    /// [`MAX_ROOMS`](Self::MAX_ROOMS) rooms, and check-out 1 to
    /// [`MAX_NIGHTS`](Self::MAX_NIGHTS) days after check-in.
    pub fn new(
        trip_id: TripId,
        hotel_code: HotelCode,
        check_in: Date,
        check_out: Date,
        rooms: u32,
    ) -> Result<StayRequest, HotelError> {
        if !(1..=Self::MAX_ROOMS).contains(&rooms) {
            return Err(HotelError::InvalidCommand {
                field: "rooms",
                problem: format!("a trip holds 1 to {} rooms, not {rooms}", Self::MAX_ROOMS),
            });
        }
        if check_out <= check_in {
            return Err(HotelError::InvalidCommand {
                field: "check_out",
                problem: format!("check-out on {check_out} is not after check-in on {check_in}"),
            });
        }
        // Counting stops one past the limit, so an absurd check-out date
        // costs no more than a long stay.
        let nights = night_dates(check_in, check_out)
            .take(Self::MAX_NIGHTS + 1)
            .count();
        if nights > Self::MAX_NIGHTS {
            return Err(HotelError::InvalidCommand {
                field: "check_out",
                problem: format!(
                    "a stay is at most {} nights; {check_in} to {check_out} is longer",
                    Self::MAX_NIGHTS
                ),
            });
        }
        Ok(StayRequest {
            trip_id,
            hotel_code,
            check_in,
            check_out,
            rooms,
        })
    }

    /// The trip asking.
    pub fn trip_id(&self) -> &TripId {
        &self.trip_id
    }

    /// The hotel wanted.
    pub fn hotel_code(&self) -> &HotelCode {
        &self.hotel_code
    }

    /// The day of arrival.
    pub fn check_in(&self) -> Date {
        self.check_in
    }

    /// The day of departure.
    pub fn check_out(&self) -> Date {
        self.check_out
    }

    /// How many rooms each night.
    pub fn rooms(&self) -> u32 {
        self.rooms
    }

    /// The nights of the stay, 1 to [`MAX_NIGHTS`](Self::MAX_NIGHTS) of
    /// them: check-in and each following day before check-out.
    pub fn nights(&self) -> Vec<Date> {
        night_dates(self.check_in, self.check_out).collect()
    }
}

/// Every date from `check_in` up to, not including, `check_out`; none when
/// check-out is not after check-in.
fn night_dates(check_in: Date, check_out: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(check_in), |night| night.next_day())
        .take_while(move |night| *night < check_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stay(check_in: &str, check_out: &str, rooms: u32) -> Result<StayRequest, HotelError> {
        StayRequest::new(
            TripId::new("trip-0001").unwrap(),
            HotelCode::new("PAR-LOUVRE").unwrap(),
            check_in.parse().unwrap(),
            check_out.parse().unwrap(),
            rooms,
        )
    }

    fn field_at_fault(result: Result<StayRequest, HotelError>) -> &'static str {
        match result {
            Err(HotelError::InvalidCommand { field, .. }) => field,
            other => panic!("expected an invalid command, got {other:?}"),
        }
    }

    #[test]
    fn a_stay_holds_every_night_before_check_out() {
        let nights: Vec<String> = stay("2024-02-27", "2024-03-02", 1)
            .unwrap()
            .nights()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            nights,
            ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]
        );
        assert_eq!(
            stay("9999-12-30", "9999-12-31", 1).unwrap().nights().len(),
            1
        );
    }

    #[test]
    fn check_out_must_follow_check_in() {
        assert_eq!(
            field_at_fault(stay("2025-04-01", "2025-04-01", 1)),
            "check_out"
        );
        assert_eq!(
            field_at_fault(stay("2025-04-02", "2025-04-01", 1)),
            "check_out"
        );
    }

    #[test]
    fn a_stay_is_at_most_thirty_nights() {
        assert_eq!(
            stay("2025-04-01", "2025-05-01", 1).unwrap().nights().len(),
            30
        );
        assert_eq!(
            field_at_fault(stay("2025-04-01", "2025-05-02", 1)),
            "check_out"
        );
        assert_eq!(
            field_at_fault(stay("0001-01-01", "9999-12-31", 1)),
            "check_out"
        );
    }

    #[test]
    fn a_trip_holds_one_to_nine_rooms() {
        assert!(stay("2025-04-01", "2025-04-02", 9).is_ok());
        assert_eq!(field_at_fault(stay("2025-04-01", "2025-04-02", 0)), "rooms");
        assert_eq!(
            field_at_fault(stay("2025-04-01", "2025-04-02", 10)),
            "rooms"
        );
    }
}
