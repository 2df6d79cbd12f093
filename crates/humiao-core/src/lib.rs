//! Humiao's domain core: the types, rules and decisions of minor protection, over plain data.
//!
//! This crate must not do I/O: no files, no database, no HTTP, no clock. Everything that depends
//! on "today" takes an `as_of` date.

pub mod citizen_id;
pub mod person;
pub mod records;
pub mod region;

pub use citizen_id::{CitizenId, ParseCitizenIdError};
pub use person::{Person, PersonId, PersonName, RelationKind, Sex, SourceRecordId};
pub use records::{Department, DepartmentRecord, Mention, MentionRole, RecordKind};
pub use region::{Region, RegionCode, RegionLevel};
pub mod access;
pub mod alert;
pub mod event;
pub mod fact;
pub mod geo;
pub mod golden;
pub mod linking;
pub mod normalize;
pub mod notify;
pub mod policy;
pub mod verification;
pub mod visit;
pub mod visit_check;
