//! Seminar attendance and credits, the engine: events and readers ([`events`]), taps from the
//! readers ([`taps`]), a doctor's credits ([`credits`]), and an event's attendance with the
//! reconciliation against the organiser's ledger ([`report`]), the attendance list as CSV and
//! Excel ([`export`]), credits reported and imported ([`reported`]), and the national yearly run ([`national`]). The rules are
//! [`hpki_attendance`]'s; their settings are `[attendance.rules]` of the configuration
//! ([`crate::Provider::attendance_rules`]).

pub mod credits;
pub mod error;
pub mod events;
pub mod export;
pub mod national;
pub mod report;
pub mod reported;
pub mod taps;

pub use error::AttendanceError;
