//! Rule packs as data (规则包): categories, entitlements and their parameters, written by the
//! centre in TOML with a small expression language, validated before activation, evaluated with
//! explanations, and tested with case books.
//!
//! The domain core knows what a fact is; this crate knows how a locality's rules turn facts into
//! categories. It does no I/O: callers give it text and cases.

pub mod assess;
pub mod casebook;
pub mod compile;
pub mod eval;
pub mod expr;
pub mod pack;
pub mod risk;
pub mod value;
pub mod visit;
pub mod vocab;

pub use assess::{Assessment, EntitlementOutcome, Undetermined};
pub use pack::{load, PackError, PackErrors, PackSource, RulePack};

/// The national baseline pack shipped with Humiao.
pub const NATIONAL_PACK: &str = include_str!("../packs/national.toml");

/// The national pack, compiled. It is tested to load, so failure here is a build defect.
pub fn national() -> RulePack {
    load(&[PackSource {
        file: "packs/national.toml",
        text: NATIONAL_PACK,
    }])
    .expect("the shipped national pack is valid")
}

/// The case book for the national pack: every rule and boundary.
pub const NATIONAL_CASES: &str = include_str!("../packs/national.cases.toml");

/// The specialised risk models (self-harm, sleep disorder, mental illness, offending), a pack
/// over the national one, and their case book.
pub const SPECIALISED_PACK: &str = include_str!("../packs/specialised.toml");
pub const SPECIALISED_CASES: &str = include_str!("../packs/specialised.cases.toml");

/// A pack shipped with Humiao by name (`national`, `specialised`): what `builtin:NAME` names
/// where a pack file is expected, for machines that have the binary and not the sources.
pub fn builtin_pack(name: &str) -> Option<&'static str> {
    match name {
        "national" => Some(NATIONAL_PACK),
        "specialised" => Some(SPECIALISED_PACK),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
