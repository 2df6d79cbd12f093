//! Normalisation of department data for comparison: citizen IDs (with typing-error repair),
//! names (traditional→simplified, pinyin), dates (many formats, day/month swaps) and addresses
//! (parsed into parts). Pure functions; the linker calls them on millions of records.

mod address;
mod date;
mod id_repair;
mod name;

pub use address::{parse_address, AddressAgreement, AddressParts};
pub use date::{date_relation, parse_date, DateError, DateRelation, ParsedDate};
pub use id_repair::{read_citizen_id, repair_against, repair_candidates, IdReading, IdRepair};
pub use name::{jaro_winkler, normalize_name, pinyin_of, to_simplified, NormalName};

/// Full-width ASCII (！ to ～) and the ideographic space to their half-width forms.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}
