//! Record linkage for Humiao: which department records are about the same person.
//!
//! The method is Fellegi–Sunter, as in Splink: records are normalised ([`prepare`]), paired by
//! several blocking rules ([`blocking`]), compared field by field into agreement levels
//! ([`compare`]), scored with match weights whose m and u parameters are estimated from the data
//! itself ([`model`]), and clustered into persons under hard constraints ([`cluster`]). The
//! [`Linker`] keeps that state so a daily batch links incrementally with stable person ids, and
//! explains any link or non-link field by field.
//!
//! No I/O here: callers load and save records, model and decisions.

pub mod blocking;
pub mod cluster;
pub mod compare;
mod engine;
pub mod intern;
pub mod model;
pub mod prepare;

pub use blocking::BlockingRule;
pub use compare::Field;
pub use engine::{
    ClusterEvent, Decision, FieldEvidence, LinkConfig, LinkRun, Linker, Observer, PairExplanation,
    PairVerdict, Quiet, RecordExplanation, ReviewPair, RunMode,
};
pub use model::Model;
pub use prepare::{FieldNote, InputRecord, NoteField};

#[cfg(test)]
mod tests;
