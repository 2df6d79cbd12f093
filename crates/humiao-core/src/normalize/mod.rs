//! Normalisation of department data for record linkage (记录比对前的规范化): citizen IDs with the
//! repair of one typing error, names (traditional→simplified, separators, toneless pinyin), dates
//! (the formats departments write, day/month swaps) and addresses (parsed into parts).
//!
//! Everything here is a pure function of its input: no I/O, no clock, no global state beyond the
//! read-only conversion tables of `fast2s` and `pinyin`. The linker calls these functions on
//! millions of records, so they allocate only the strings they return (and the rare fallback noted
//! where it happens). This module must not decide whether two records are the same person: it
//! only prepares values and says how two values relate; weighing that evidence is the linker's job.

mod address;
mod date;
mod id_repair;
mod name;

#[cfg(test)]
mod tests;

pub use address::{parse_address, AddressAgreement, AddressParts};
pub use date::{date_relation, parse_date, DateError, DateRelation, ParsedDate};
pub use id_repair::{
    id_belongs_to_someone_else, one_typing_error, read_citizen_id, repair_against,
    repair_candidates, IdReading, IdRepair, FOREIGN_ID_YEARS,
};
pub use name::{
    jaro_winkler, newborn_placeholder, normalize_name, pinyin_of, to_simplified, NewbornName,
    NormalName,
};

/// Full-width ASCII (`！` to `～`) and the ideographic space to their half-width forms.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Rewrites `text` in place, character by character: `f` maps a character to its replacement or
/// drops it (`None`). A replacement must not be longer in UTF-8 than the character it replaces
/// (half-width forms, ASCII case, removal); if one is, the rest is rewritten into a new buffer.
///
/// Why in place: `text` is usually the freshly converted result string, and names and addresses
/// are rewritten for every one of millions of records; reusing the buffer saves an allocation.
pub(crate) fn rewrite_in_place(text: String, mut f: impl FnMut(char) -> Option<char>) -> String {
    let mut bytes = text.into_bytes();
    let mut read = 0;
    let mut write = 0;
    while read < bytes.len() {
        let width = utf8_width(bytes[read]);
        let Some(c) = std::str::from_utf8(&bytes[read..read + width])
            .ok()
            .and_then(|s| s.chars().next())
        else {
            // Unreachable for bytes that came from a `String`; stop rather than guess.
            break;
        };
        read += width;
        let Some(out) = f(c) else { continue };
        let mut buf = [0u8; 4];
        let encoded = out.encode_utf8(&mut buf).as_bytes();
        if write + encoded.len() > read {
            // A longer replacement would overwrite unread input: finish in a new buffer.
            let rest = String::from_utf8_lossy(&bytes[read..]).into_owned();
            bytes.truncate(write);
            let mut head = String::from_utf8(bytes).unwrap_or_default();
            head.push(out);
            head.extend(rest.chars().filter_map(f));
            return head;
        }
        bytes[write..write + encoded.len()].copy_from_slice(encoded);
        write += encoded.len();
    }
    bytes.truncate(write);
    // Only whole characters were written, so this is valid UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The length of a UTF-8 sequence from its first byte (1 for a stray continuation byte).
fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}
