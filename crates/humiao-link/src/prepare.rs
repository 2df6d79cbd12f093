//! From a department's raw fields to a compact, normalised record ready for comparison.
//!
//! A malformed field never rejects the record: it becomes "absent" and a [`FieldNote`] says what was
//! wrong, so the rest of the record still links. Only a record with neither a name nor an ID is
//! unlinkable.

use chrono::NaiveDate;
use humiao_core::normalize::{
    id_belongs_to_someone_else, newborn_placeholder, normalize_name, parse_address, parse_date,
    read_citizen_id, IdReading,
};
use serde::{Deserialize, Serialize};

use crate::intern::{Interner, Sym};

/// One record as a department wrote it (every field raw text; empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    /// The caller's stable record identifier.
    pub key: String,
    /// Department code, e.g. `police`.
    pub source: String,
    pub citizen_id: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub address: String,
    /// Household number (户号) when the department knows it.
    pub household: String,
    /// Names of parents or guardians given in the record.
    pub parent_names: Vec<String>,
}

/// The citizen ID as the linker sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdValue {
    Missing,
    /// Passes the checksum.
    Valid([u8; 18]),
    /// A 15-digit ID converted to 18: it has no checksum, so a typing error in it cannot be seen.
    /// Compared like a valid ID but never a bar to joining a person with a different ID.
    Unchecked([u8; 18]),
    /// Eighteen characters of the right shape failing the checksum or the birth date: may be repaired
    /// against a candidate's valid ID.
    Damaged([u8; 18]),
}

impl IdValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Missing => None,
            Self::Valid(b) | Self::Unchecked(b) | Self::Damaged(b) => std::str::from_utf8(b).ok(),
        }
    }

    pub fn valid(&self) -> Option<&[u8; 18]> {
        match self {
            Self::Valid(b) => Some(b),
            _ => None,
        }
    }

    /// The 18 characters of any ID present, checked or not.
    pub fn bytes(&self) -> Option<&[u8; 18]> {
        match self {
            Self::Missing => None,
            Self::Valid(b) | Self::Unchecked(b) | Self::Damaged(b) => Some(b),
        }
    }
}

fn id_bytes(s: &str) -> Option<[u8; 18]> {
    s.as_bytes().try_into().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteField {
    CitizenId,
    Name,
    Sex,
    BirthDate,
}

/// Something wrong with one field of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldNote {
    pub field: NoteField,
    pub message: String,
}

/// A prepared record. Strings are interned in the linker's [`Interner`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub source: Sym,
    pub id: IdValue,
    pub name: Sym,
    pub name_pinyin: Sym,
    pub surname_pinyin: Sym,
    /// 0 unknown, 1 male, 2 female.
    pub sex: u8,
    pub birth: Option<NaiveDate>,
    /// The day/month-swapped reading of an ambiguous written date.
    pub birth_alt: Option<NaiveDate>,
    pub town: Sym,
    pub village: Sym,
    /// Road (or village) plus house number: one house.
    pub house: Sym,
    /// House plus building, unit and room: one dwelling.
    pub dwelling: Sym,
    pub household: Sym,
    pub parents: [Sym; 3],
    pub parents_pinyin: [Sym; 3],
}

impl Rec {
    pub fn has_identity(&self) -> bool {
        self.name.is_some() || self.id != IdValue::Missing
    }
}

fn parse_sex(raw: &str) -> Option<u8> {
    match raw.trim() {
        "" => None,
        "男" | "1" | "M" | "m" | "male" | "Male" | "MALE" | "男性" => Some(1),
        "女" | "2" | "F" | "f" | "female" | "Female" | "FEMALE" | "女性" => Some(2),
        _ => None,
    }
}

/// Normalises one input record. Never fails: problems are returned as notes.
pub fn prepare(input: &InputRecord, strings: &mut Interner) -> (Rec, Vec<FieldNote>) {
    let mut notes = Vec::new();
    let written_birth =
        (!input.birth_date.trim().is_empty()).then(|| parse_date(&input.birth_date));
    let (mut id, mut id_birth, mut id_sex) = match read_citizen_id(&input.citizen_id) {
        reading @ (IdReading::Valid(_) | IdReading::Converted15(_)) => {
            let (IdReading::Valid(c) | IdReading::Converted15(c)) = &reading else {
                unreachable!()
            };
            let bytes = id_bytes(c.as_str());
            (
                bytes.map_or(IdValue::Missing, |b| match reading {
                    IdReading::Converted15(_) => IdValue::Unchecked(b),
                    _ => IdValue::Valid(b),
                }),
                Some(c.birth_date()),
                Some(match c.sex() {
                    humiao_core::Sex::Male => 1,
                    humiao_core::Sex::Female => 2,
                }),
            )
        }
        IdReading::Damaged(s) => {
            notes.push(FieldNote {
                field: NoteField::CitizenId,
                message: format!(
                    "身份证号校验不通过（{}），按可能的录入错误与候选人比对",
                    mask(&s)
                ),
            });
            (
                id_bytes(&s).map_or(IdValue::Missing, IdValue::Damaged),
                None,
                None,
            )
        }
        IdReading::Unusable(s) => {
            notes.push(FieldNote {
                field: NoteField::CitizenId,
                message: format!("身份证号无法使用（{}），按缺失处理", mask(&s)),
            });
            (IdValue::Missing, None, None)
        }
        IdReading::Missing => (IdValue::Missing, None, None),
    };
    // A child's record carrying a parent's ID: the ID is not this person's.
    if let (Some(Ok(written)), Some(c)) = (
        &written_birth,
        id.bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| humiao_core::CitizenId::parse(s).ok()),
    ) {
        if matches!(id, IdValue::Valid(_) | IdValue::Unchecked(_))
            && id_belongs_to_someone_else(&c, written.date)
        {
            notes.push(FieldNote {
                field: NoteField::CitizenId,
                message: format!(
                    "身份证号（{}）所含出生日期与本人出生日期相差一代人，疑为监护人证件，不作本人身份证号",
                    mask(c.as_str())
                ),
            });
            id = IdValue::Missing;
            id_birth = None;
            id_sex = None;
        }
    }
    let newborn = newborn_placeholder(&input.name);
    let name = if newborn.is_some() {
        None
    } else {
        normalize_name(&input.name)
    };
    if name.is_none() && newborn.is_none() && !input.name.trim().is_empty() {
        notes.push(FieldNote {
            field: NoteField::Name,
            message: "姓名无法识别，按缺失处理".into(),
        });
    }
    let placeholder_sex = newborn.as_ref().and_then(|n| n.sex).map(|s| match s {
        humiao_core::Sex::Male => 1,
        humiao_core::Sex::Female => 2,
    });
    let sex = match parse_sex(&input.sex) {
        Some(s) => s,
        None => {
            if !input.sex.trim().is_empty() {
                notes.push(FieldNote {
                    field: NoteField::Sex,
                    message: format!("性别“{}”无法识别，按缺失处理", input.sex.trim()),
                });
            }
            placeholder_sex.or(id_sex).unwrap_or(0)
        }
    };
    let (birth, birth_alt) = match written_birth {
        None => (id_birth, None),
        Some(Ok(d)) => (Some(d.date), d.swapped),
        Some(Err(e)) => {
            notes.push(FieldNote {
                field: NoteField::BirthDate,
                message: format!("出生日期：{e}，按缺失处理"),
            });
            (id_birth, None)
        }
    };
    let address = parse_address(&input.address);
    let house_base = address.road.as_deref().or(address.village.as_deref());
    let house = match (house_base, address.number.as_deref()) {
        (Some(base), Some(number)) => Some(format!(
            "{}{}{}",
            address.village.as_deref().unwrap_or(""),
            if address.road.is_some() { base } else { "" },
            number
        )),
        _ => None,
    };
    let dwelling = house.as_ref().and_then(|h| {
        let extra: String = [&address.building, &address.unit, &address.room]
            .iter()
            .filter_map(|p| p.as_deref())
            .collect();
        (!extra.is_empty()).then(|| format!("{h}{extra}"))
    });
    let mut parents = [Sym::NONE; 3];
    let mut parents_pinyin = [Sym::NONE; 3];
    let named_parents = input.parent_names.iter().filter_map(|p| normalize_name(p));
    // The parent a newborn placeholder names, unless the record lists that parent already.
    let placeholder_parent = newborn.map(|n| n.parent).filter(|p| {
        !input
            .parent_names
            .iter()
            .any(|q| normalize_name(q).as_ref() == Some(p))
    });
    for (slot, parent) in named_parents.chain(placeholder_parent).take(3).enumerate() {
        parents[slot] = strings.intern(&parent.text);
        parents_pinyin[slot] = strings.intern(&parent.pinyin);
    }
    let rec = Rec {
        source: strings.intern(input.source.trim()),
        id,
        name: strings.intern_opt(name.as_ref().map(|n| n.text.as_str())),
        name_pinyin: strings.intern_opt(name.as_ref().map(|n| n.pinyin.as_str())),
        surname_pinyin: strings.intern_opt(name.as_ref().map(|n| n.surname_pinyin.as_str())),
        sex,
        birth,
        birth_alt,
        town: strings.intern_opt(address.town.as_deref()),
        village: strings.intern_opt(address.village.as_deref()),
        house: strings.intern_opt(house.as_deref()),
        dwelling: strings.intern_opt(dwelling.as_deref()),
        household: strings.intern(input.household.trim()),
        parents,
        parents_pinyin,
    };
    (rec, notes)
}

/// A partly masked ID for messages: the region and the last two characters hidden.
fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 6 || i + 2 >= chars.len() {
                '*'
            } else {
                *c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str, name: &str, birth: &str) -> InputRecord {
        InputRecord {
            key: "r1".into(),
            source: "police".into(),
            citizen_id: id.into(),
            name: name.into(),
            birth_date: birth.into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_id_supplies_birth_date_and_sex() {
        let mut s = Interner::default();
        let id = humiao_core::CitizenId::from_parts(
            "330199",
            NaiveDate::from_ymd_opt(2012, 3, 5).unwrap(),
            13,
        )
        .unwrap();
        let (rec, notes) = prepare(&input(id.as_str(), "張偉", ""), &mut s);
        assert!(notes.is_empty(), "{notes:?}");
        assert!(matches!(rec.id, IdValue::Valid(_)));
        assert_eq!(rec.birth, NaiveDate::from_ymd_opt(2012, 3, 5));
        assert_eq!(rec.sex, 1);
        assert_eq!(s.resolve(rec.name), "张伟");
        assert_eq!(s.resolve(rec.name_pinyin), "zhangwei");
    }

    #[test]
    fn malformed_fields_become_absent_with_notes() {
        let mut s = Interner::default();
        let mut raw = input("33019920120305001", "王芳", "2012-13-45");
        raw.sex = "未知X".into();
        let (rec, notes) = prepare(&raw, &mut s);
        assert_eq!(rec.id, IdValue::Missing);
        assert_eq!(rec.birth, None);
        assert_eq!(rec.sex, 0);
        assert!(rec.has_identity());
        let fields: Vec<NoteField> = notes.iter().map(|n| n.field).collect();
        assert_eq!(
            fields,
            vec![NoteField::CitizenId, NoteField::Sex, NoteField::BirthDate]
        );
    }

    #[test]
    fn damaged_id_is_kept_for_repair() {
        let mut s = Interner::default();
        // Last digit changed: checksum fails.
        let (rec, notes) = prepare(&input("330199201203050014", "王芳", ""), &mut s);
        assert!(matches!(rec.id, IdValue::Damaged(_)));
        assert_eq!(notes.len(), 1);
        assert!(!notes[0].message.contains("3301992012"));
    }

    #[test]
    fn address_parts_give_house_and_dwelling() {
        let mut s = Interner::default();
        let mut raw = input("", "王芳", "2012-03-05");
        raw.address = "浙江省护苗县城关镇东门村解放路12号3幢2单元301室".into();
        let (rec, _) = prepare(&raw, &mut s);
        assert_eq!(s.resolve(rec.town), "城关镇");
        assert_eq!(s.resolve(rec.village), "东门村");
        assert!(rec.house.is_some());
        assert!(rec.dwelling.is_some());
        assert_ne!(rec.house, rec.dwelling);
    }
}
