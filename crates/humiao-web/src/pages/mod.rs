//! The pages, one module per area. Handlers load through the store with the user's [`Actor`]
//! (scope in SQL), turn rows into view models with the role's masking applied (see
//! [`views`]), audit reads of a child's data, then render.
//!
//! [`Actor`]: humiao_core::access::Actor

pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod centre;
pub(crate) mod child;
pub(crate) mod director;
pub(crate) mod fairness;
pub(crate) mod health;
pub(crate) mod home;
pub(crate) mod imports;
pub(crate) mod linking;
pub(crate) mod plan;
pub(crate) mod risk_override;
pub(crate) mod rules;
pub(crate) mod sync;
pub(crate) mod verify;
pub(crate) mod views;
pub(crate) mod visit;
