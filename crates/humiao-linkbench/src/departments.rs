//! The six departments: which of them hold a record about a person, and how each writes it
//! down. Every kind of record has its own [`Profile`]: date format, sex coding, address
//! granularity, which parents it knows, and the rate of every kind of damage. These rates are
//! the ones documented in `bench/linking/README.md`; change both together.
//!
//! Departments share no hidden key: a record carries only what a clerk would write.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::citizen_id;
use crate::county::{Household, Kin, Person};
use crate::names::Sex;
use crate::noise::{self, DateFormat};
use crate::places::{Granularity, Prefix};

/// A department, as the `source` column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Police,
    Education,
    CivilAffairs,
    Health,
    Disability,
    Justice,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Police,
        Source::Education,
        Source::CivilAffairs,
        Source::Health,
        Source::Disability,
        Source::Justice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Police => "police",
            Source::Education => "education",
            Source::CivilAffairs => "civil_affairs",
            Source::Health => "health",
            Source::Disability => "disability",
            Source::Justice => "justice",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A kind of record a department keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 户籍登记: everyone registered; the most reliable file.
    PoliceRegister,
    /// 居住登记: persons living away from their registered address.
    PoliceResidence,
    /// 学籍: kindergarten and school rolls, ages 3–18, with guardians.
    SchoolRoll,
    /// 出生医学证明 and newborn records, often before the child has a name or an ID.
    BirthRecord,
    /// 预防接种: vaccination records of children 0–6.
    Vaccination,
    /// 居民健康档案: health records, mostly adults and the elderly.
    HealthArchive,
    /// 低保/救助: assistance to a household, each member listed.
    Assistance,
    /// 高龄补贴: allowance for persons aged 80 and over.
    ElderAllowance,
    /// 残疾人证
    DisabilityCard,
    /// Court and community-correction cases.
    JusticeCase,
}

/// Which address a record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Hukou,
    Residence,
}

/// How one kind of record is written, and how often each field is damaged (probability per
/// record; damages are drawn independently).
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub id_missing: f64,
    pub id_mistyped: f64,
    pub id_transposed: f64,
    /// Share of persons born before 1966 written with the legacy 15-digit ID.
    pub id_legacy15_elderly: f64,
    /// Share of IDs ending in X written with a lower-case x.
    pub id_lowercase_x: f64,
    pub id_spaced: f64,
    /// A child's record carrying the mother's ID instead.
    pub id_of_mother: f64,
    /// Newborn written as 「母亲姓名之子/之女」 before the baby is named.
    pub name_placeholder: f64,
    pub name_traditional: f64,
    pub name_homophone: f64,
    pub name_pinyin: f64,
    pub name_spaced: f64,
    pub name_dropped: f64,
    pub date_format: DateFormat,
    /// Share written in another of the formats (different clerks, different systems).
    pub date_other_format: f64,
    pub date_swapped: f64,
    pub date_off_by_day: f64,
    pub date_off_by_year: f64,
    pub date_missing: f64,
    /// Male and female codes; another department's coding appears at `sex_other_coding`.
    pub sex_codes: (&'static str, &'static str),
    pub sex_other_coding: f64,
    pub sex_missing: f64,
    pub sex_wrong: f64,
    address: Which,
    pub granularity: Granularity,
    pub prefix: Prefix,
    /// Written one level coarser than usual.
    pub address_coarser: f64,
    pub address_missing: f64,
    /// A mover's previous address still on file.
    pub address_stale: f64,
    pub address_traditional: f64,
    pub address_number_typo: f64,
    /// Chance a minor's record names the father, the mother; an adult's, either parent.
    pub father_known: f64,
    pub mother_known: f64,
    pub adult_parents_known: f64,
}

const CODES_CHINESE: (&str, &str) = ("男", "女");
/// GB/T 2261.1 codes.
const CODES_NUMERIC: (&str, &str) = ("1", "2");
const CODES_LATIN: (&str, &str) = ("M", "F");

/// The careful police register: the baseline every other profile spoils.
const POLICE_REGISTER: Profile = Profile {
    id_missing: 0.002,
    id_mistyped: 0.002,
    id_transposed: 0.001,
    id_legacy15_elderly: 0.0,
    id_lowercase_x: 0.0,
    id_spaced: 0.0,
    id_of_mother: 0.0,
    name_placeholder: 0.0,
    name_traditional: 0.002,
    name_homophone: 0.002,
    name_pinyin: 0.0,
    name_spaced: 0.003,
    name_dropped: 0.0,
    date_format: DateFormat::Iso,
    date_other_format: 0.0,
    date_swapped: 0.001,
    date_off_by_day: 0.001,
    date_off_by_year: 0.0,
    date_missing: 0.0,
    sex_codes: CODES_CHINESE,
    sex_other_coding: 0.0,
    sex_missing: 0.0,
    sex_wrong: 0.0005,
    address: Which::Hukou,
    granularity: Granularity::Full,
    prefix: Prefix::ProvinceAndCounty,
    address_coarser: 0.0,
    address_missing: 0.0,
    address_stale: 0.0,
    address_traditional: 0.0,
    address_number_typo: 0.002,
    father_known: 0.9,
    mother_known: 0.9,
    adult_parents_known: 0.3,
};

const POLICE_RESIDENCE: Profile = Profile {
    id_missing: 0.01,
    id_mistyped: 0.005,
    id_transposed: 0.003,
    id_lowercase_x: 0.05,
    id_spaced: 0.01,
    name_traditional: 0.005,
    name_homophone: 0.008,
    name_spaced: 0.01,
    name_dropped: 0.002,
    date_other_format: 0.05,
    date_swapped: 0.003,
    date_off_by_day: 0.003,
    sex_missing: 0.01,
    address: Which::Residence,
    address_coarser: 0.1,
    address_traditional: 0.005,
    address_number_typo: 0.01,
    father_known: 0.5,
    mother_known: 0.6,
    adult_parents_known: 0.0,
    ..POLICE_REGISTER
};

const SCHOOL_ROLL: Profile = Profile {
    id_missing: 0.06,
    id_mistyped: 0.02,
    id_transposed: 0.01,
    id_legacy15_elderly: 0.0,
    id_lowercase_x: 0.3,
    id_spaced: 0.02,
    id_of_mother: 0.005,
    name_placeholder: 0.0,
    name_traditional: 0.02,
    name_homophone: 0.025,
    name_pinyin: 0.003,
    name_spaced: 0.03,
    name_dropped: 0.005,
    date_format: DateFormat::Slash,
    date_other_format: 0.25,
    date_swapped: 0.015,
    date_off_by_day: 0.01,
    date_off_by_year: 0.003,
    date_missing: 0.005,
    sex_codes: CODES_NUMERIC,
    sex_other_coding: 0.1,
    sex_missing: 0.03,
    sex_wrong: 0.002,
    address: Which::Residence,
    granularity: Granularity::House,
    prefix: Prefix::None,
    address_coarser: 0.15,
    address_missing: 0.03,
    address_stale: 0.35,
    address_traditional: 0.02,
    address_number_typo: 0.02,
    father_known: 0.85,
    mother_known: 0.9,
    adult_parents_known: 0.0,
};

const BIRTH_RECORD: Profile = Profile {
    id_missing: 0.9,
    id_mistyped: 0.01,
    id_transposed: 0.005,
    id_lowercase_x: 0.3,
    id_spaced: 0.01,
    id_of_mother: 0.02,
    name_placeholder: 0.35,
    name_traditional: 0.01,
    name_homophone: 0.03,
    name_pinyin: 0.0,
    name_spaced: 0.02,
    name_dropped: 0.005,
    date_format: DateFormat::Compact,
    date_other_format: 0.2,
    date_swapped: 0.005,
    date_off_by_day: 0.01,
    date_off_by_year: 0.0,
    date_missing: 0.0,
    sex_codes: CODES_LATIN,
    sex_other_coding: 0.3,
    sex_missing: 0.01,
    address: Which::Residence,
    granularity: Granularity::Village,
    prefix: Prefix::None,
    address_coarser: 0.1,
    address_missing: 0.05,
    address_stale: 0.3,
    address_traditional: 0.01,
    address_number_typo: 0.0,
    father_known: 0.8,
    mother_known: 0.99,
    ..SCHOOL_ROLL
};

const VACCINATION: Profile = Profile {
    id_missing: 0.25,
    id_mistyped: 0.03,
    id_transposed: 0.015,
    id_lowercase_x: 0.4,
    id_spaced: 0.03,
    id_of_mother: 0.02,
    name_placeholder: 0.0,
    name_traditional: 0.02,
    name_homophone: 0.03,
    name_pinyin: 0.005,
    name_spaced: 0.03,
    name_dropped: 0.01,
    date_format: DateFormat::Compact,
    date_other_format: 0.3,
    date_swapped: 0.02,
    date_off_by_day: 0.015,
    date_off_by_year: 0.002,
    date_missing: 0.005,
    sex_codes: CODES_LATIN,
    sex_other_coding: 0.3,
    sex_missing: 0.05,
    sex_wrong: 0.003,
    granularity: Granularity::Village,
    address_coarser: 0.2,
    address_missing: 0.05,
    address_stale: 0.4,
    father_known: 0.6,
    mother_known: 0.9,
    ..SCHOOL_ROLL
};

const HEALTH_ARCHIVE: Profile = Profile {
    id_missing: 0.08,
    id_mistyped: 0.03,
    id_transposed: 0.015,
    id_legacy15_elderly: 0.25,
    id_lowercase_x: 0.4,
    id_spaced: 0.03,
    id_of_mother: 0.0,
    name_traditional: 0.02,
    name_homophone: 0.03,
    name_pinyin: 0.01,
    name_spaced: 0.04,
    name_dropped: 0.01,
    date_format: DateFormat::Iso,
    date_other_format: 0.35,
    date_swapped: 0.02,
    date_off_by_day: 0.015,
    date_off_by_year: 0.005,
    date_missing: 0.01,
    sex_codes: CODES_CHINESE,
    sex_other_coding: 0.3,
    sex_missing: 0.05,
    sex_wrong: 0.003,
    father_known: 0.3,
    mother_known: 0.5,
    ..VACCINATION
};

const ASSISTANCE: Profile = Profile {
    id_missing: 0.02,
    id_mistyped: 0.02,
    id_transposed: 0.01,
    id_legacy15_elderly: 0.35,
    id_lowercase_x: 0.5,
    id_spaced: 0.02,
    id_of_mother: 0.0,
    name_placeholder: 0.0,
    name_traditional: 0.03,
    name_homophone: 0.02,
    name_pinyin: 0.005,
    name_spaced: 0.04,
    name_dropped: 0.005,
    date_format: DateFormat::Chinese,
    date_other_format: 0.2,
    date_swapped: 0.015,
    date_off_by_day: 0.01,
    date_off_by_year: 0.005,
    date_missing: 0.005,
    sex_codes: CODES_CHINESE,
    sex_other_coding: 0.05,
    sex_missing: 0.03,
    sex_wrong: 0.002,
    address: Which::Hukou,
    granularity: Granularity::Village,
    prefix: Prefix::County,
    address_coarser: 0.1,
    address_missing: 0.02,
    address_stale: 0.0,
    address_traditional: 0.03,
    address_number_typo: 0.01,
    father_known: 0.5,
    mother_known: 0.6,
    adult_parents_known: 0.0,
};

const ELDER_ALLOWANCE: Profile = Profile {
    id_legacy15_elderly: 0.5,
    granularity: Granularity::House,
    ..ASSISTANCE
};

const DISABILITY_CARD: Profile = Profile {
    id_missing: 0.02,
    id_mistyped: 0.015,
    id_transposed: 0.01,
    id_legacy15_elderly: 0.15,
    id_lowercase_x: 0.2,
    id_spaced: 0.01,
    name_traditional: 0.02,
    name_homophone: 0.02,
    name_pinyin: 0.002,
    name_spaced: 0.02,
    name_dropped: 0.005,
    date_format: DateFormat::Dotted,
    date_other_format: 0.25,
    date_swapped: 0.01,
    date_off_by_day: 0.01,
    date_off_by_year: 0.003,
    sex_codes: CODES_NUMERIC,
    sex_other_coding: 0.2,
    sex_missing: 0.02,
    granularity: Granularity::Full,
    prefix: Prefix::ProvinceAndCounty,
    address_coarser: 0.2,
    address_traditional: 0.02,
    address_number_typo: 0.015,
    father_known: 0.7,
    mother_known: 0.7,
    ..ASSISTANCE
};

const JUSTICE_CASE: Profile = Profile {
    id_missing: 0.05,
    id_mistyped: 0.02,
    id_transposed: 0.01,
    id_legacy15_elderly: 0.1,
    id_lowercase_x: 0.3,
    id_spaced: 0.01,
    name_traditional: 0.01,
    name_homophone: 0.02,
    name_pinyin: 0.03,
    name_spaced: 0.02,
    name_dropped: 0.005,
    date_format: DateFormat::DayFirst,
    date_other_format: 0.3,
    date_swapped: 0.02,
    date_off_by_day: 0.01,
    date_off_by_year: 0.005,
    date_missing: 0.02,
    sex_other_coding: 0.0,
    sex_missing: 0.02,
    granularity: Granularity::Town,
    address_coarser: 0.0,
    address_missing: 0.3,
    address_traditional: 0.01,
    address_number_typo: 0.0,
    father_known: 0.5,
    mother_known: 0.5,
    ..ASSISTANCE
};

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::PoliceRegister,
        Kind::PoliceResidence,
        Kind::SchoolRoll,
        Kind::BirthRecord,
        Kind::Vaccination,
        Kind::HealthArchive,
        Kind::Assistance,
        Kind::ElderAllowance,
        Kind::DisabilityCard,
        Kind::JusticeCase,
    ];

    pub fn source(self) -> Source {
        match self {
            Kind::PoliceRegister | Kind::PoliceResidence => Source::Police,
            Kind::SchoolRoll => Source::Education,
            Kind::BirthRecord | Kind::Vaccination | Kind::HealthArchive => Source::Health,
            Kind::Assistance | Kind::ElderAllowance => Source::CivilAffairs,
            Kind::DisabilityCard => Source::Disability,
            Kind::JusticeCase => Source::Justice,
        }
    }

    pub fn profile(self) -> &'static Profile {
        match self {
            Kind::PoliceRegister => &POLICE_REGISTER,
            Kind::PoliceResidence => &POLICE_RESIDENCE,
            Kind::SchoolRoll => &SCHOOL_ROLL,
            Kind::BirthRecord => &BIRTH_RECORD,
            Kind::Vaccination => &VACCINATION,
            Kind::HealthArchive => &HEALTH_ARCHIVE,
            Kind::Assistance => &ASSISTANCE,
            Kind::ElderAllowance => &ELDER_ALLOWANCE,
            Kind::DisabilityCard => &DISABILITY_CARD,
            Kind::JusticeCase => &JUSTICE_CASE,
        }
    }
}

/// Most records one person has.
const MAX_RECORDS: usize = 5;

/// The records the departments hold about `person` of `household` (1 to 5 of them).
pub fn records_of<R: Rng>(person: &Person, household: &Household, rng: &mut R) -> Vec<Kind> {
    let age = person.age();
    let mut kinds = Vec::with_capacity(MAX_RECORDS);
    if person.registered {
        kinds.push(Kind::PoliceRegister);
    }
    if person.lives_away_from_hukou() && rng.gen_bool(0.5) {
        kinds.push(Kind::PoliceResidence);
    }
    if (3..=18).contains(&age) {
        let enrolled = if age >= 16 { 0.85 } else { 0.96 };
        if rng.gen_bool(enrolled) {
            kinds.push(Kind::SchoolRoll);
            // Changed school, or kindergarten and primary school both in the extract.
            if rng.gen_bool(0.2) {
                kinds.push(Kind::SchoolRoll);
            }
        }
    }
    if age <= 6 {
        if rng.gen_bool(0.9) {
            kinds.push(Kind::BirthRecord);
        }
        if rng.gen_bool(0.9) {
            kinds.push(Kind::Vaccination);
        }
    }
    let (archive, second) = match age {
        0..=6 => (0.0, 0.0),
        7..=17 => (0.15, 0.0),
        18..=39 => (0.5, 0.1),
        40..=64 => (0.72, 0.18),
        _ => (0.92, 0.4),
    };
    if rng.gen_bool(archive) {
        kinds.push(Kind::HealthArchive);
        if rng.gen_bool(second) {
            kinds.push(Kind::HealthArchive);
        }
    }
    if household.assisted && rng.gen_bool(0.85) {
        kinds.push(Kind::Assistance);
    }
    if age >= 80 && rng.gen_bool(0.8) {
        kinds.push(Kind::ElderAllowance);
    }
    let disability = match age {
        0..=17 => 0.01,
        18..=59 => 0.015,
        _ => 0.045,
    };
    if rng.gen_bool(disability) {
        kinds.push(Kind::DisabilityCard);
    }
    if (14..=65).contains(&age) && rng.gen_bool(0.015) {
        kinds.push(Kind::JusticeCase);
    }
    if kinds.is_empty() {
        // An unregistered baby still has a birth record.
        kinds.push(Kind::BirthRecord);
    }
    if kinds.len() > MAX_RECORDS {
        kinds.shuffle(rng);
        kinds.truncate(MAX_RECORDS);
    }
    kinds
}

/// A new record about a known person, for the daily batch: a clinic visit, a school
/// registration, an assistance application, a change of residence.
pub fn batch_kind_of<R: Rng>(person: &Person, rng: &mut R) -> Kind {
    let age = person.age();
    let roll = rng.gen_range(0..100);
    match age {
        0..=2 => Kind::Vaccination,
        3..=6 if roll < 50 => Kind::Vaccination,
        3..=18 if roll < 85 => Kind::SchoolRoll,
        _ if roll < 70 => Kind::HealthArchive,
        _ if roll < 85 => Kind::PoliceResidence,
        _ if roll < 95 => Kind::Assistance,
        _ if age >= 14 && roll < 98 => Kind::JusticeCase,
        _ => Kind::DisabilityCard,
    }
}

/// One record as written to `records.csv` (without its record ID) and the person it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub source: Source,
    pub person: u64,
    pub citizen_id: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub address: String,
    pub father_name: String,
    pub mother_name: String,
}

/// `person`'s record of `kind`, damaged by the kind's profile.
pub fn write_record<R: Rng>(kind: Kind, person: &Person, rng: &mut R) -> Row {
    let p = kind.profile();
    // Birth records are written before the baby is named.
    let name = if rng.gen_bool(p.name_placeholder) {
        placeholder_name(person)
    } else {
        noisy_name(person.surname, &person.given, p, 1.0, rng)
    };
    let minor = person.age() < 18;
    let parent = |kin: &Option<Kin>, known: f64, rng: &mut R| -> String {
        let known = if minor { known } else { p.adult_parents_known };
        match kin {
            Some(k) if rng.gen_bool(known) => noisy_name(k.surname, &k.given, p, 1.5, rng),
            _ => String::new(),
        }
    };
    let father_name = parent(&person.father, p.father_known, rng);
    let mother_name = parent(&person.mother, p.mother_known, rng);
    Row {
        source: kind.source(),
        person: person.number,
        citizen_id: noisy_id(person, p, rng),
        name,
        sex: noisy_sex(person.sex, p, rng),
        birth_date: noisy_date(person, p, rng),
        address: noisy_address(person, p, rng),
        father_name,
        mother_name,
    }
}

fn placeholder_name(person: &Person) -> String {
    let suffix = match person.sex {
        Sex::Male => "之子",
        Sex::Female => "之女",
    };
    match &person.mother {
        Some(m) => format!("{}{}{suffix}", m.surname, m.given),
        None => format!("{}{suffix}", person.surname),
    }
}

/// A name with the profile's damage; `scale` raises the rates (guardian names are typed with
/// less care than the child's own).
fn noisy_name<R: Rng>(surname: &str, given: &str, p: &Profile, scale: f64, rng: &mut R) -> String {
    let chance = |rate: f64| (rate * scale).min(1.0);
    if rng.gen_bool(chance(p.name_pinyin)) {
        return noise::pinyin_written(surname, given, rng);
    }
    let mut name = if rng.gen_bool(chance(p.name_homophone)) {
        noise::homophone(surname, given, rng)
    } else if rng.gen_bool(chance(p.name_dropped)) {
        noise::dropped(surname, given, rng)
    } else {
        format!("{surname}{given}")
    };
    if rng.gen_bool(chance(p.name_traditional)) {
        name = noise::traditional(&name);
    }
    if rng.gen_bool(chance(p.name_spaced)) {
        name = noise::spaced(&name, rng);
    }
    name
}

fn noisy_id<R: Rng>(person: &Person, p: &Profile, rng: &mut R) -> String {
    if !person.registered || rng.gen_bool(p.id_missing) {
        return String::new();
    }
    let mut id = person.citizen_id.clone();
    if rng.gen_bool(p.id_of_mother) {
        if let Some(mother_id) = person.mother.as_ref().and_then(|m| m.citizen_id.clone()) {
            id = mother_id;
        }
    }
    if id == person.citizen_id
        && person.birth < legacy_cutoff()
        && rng.gen_bool(p.id_legacy15_elderly)
    {
        id = citizen_id::legacy15(&id);
    }
    if rng.gen_bool(p.id_mistyped) {
        id = noise::mistyped_digit(&id, rng);
    }
    if rng.gen_bool(p.id_transposed) {
        id = noise::transposed(&id, rng);
    }
    if id.ends_with('X') && rng.gen_bool(p.id_lowercase_x) {
        id = id.replace('X', "x");
    }
    if rng.gen_bool(p.id_spaced) {
        id = noise::spaced_id(&id, rng);
    }
    id
}

fn legacy_cutoff() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1966, 1, 1).expect("valid date")
}

fn noisy_sex<R: Rng>(sex: Sex, p: &Profile, rng: &mut R) -> String {
    if rng.gen_bool(p.sex_missing) {
        return String::new();
    }
    let sex = if rng.gen_bool(p.sex_wrong) {
        match sex {
            Sex::Male => Sex::Female,
            Sex::Female => Sex::Male,
        }
    } else {
        sex
    };
    let codes = if rng.gen_bool(p.sex_other_coding) {
        [CODES_CHINESE, CODES_NUMERIC, CODES_LATIN][rng.gen_range(0..3)]
    } else {
        p.sex_codes
    };
    match sex {
        Sex::Male => codes.0,
        Sex::Female => codes.1,
    }
    .to_string()
}

fn noisy_date<R: Rng>(person: &Person, p: &Profile, rng: &mut R) -> String {
    if rng.gen_bool(p.date_missing) {
        return String::new();
    }
    let mut date = person.birth;
    if rng.gen_bool(p.date_swapped) {
        date = noise::day_month_swapped(date);
    }
    if rng.gen_bool(p.date_off_by_day) {
        date = noise::off_by_one_day(date, rng);
    }
    if rng.gen_bool(p.date_off_by_year) {
        date = noise::off_by_one_year(date, rng);
    }
    let format = if rng.gen_bool(p.date_other_format) {
        DateFormat::ALL[rng.gen_range(0..DateFormat::ALL.len())]
    } else {
        p.date_format
    };
    format.write(date)
}

fn noisy_address<R: Rng>(person: &Person, p: &Profile, rng: &mut R) -> String {
    if rng.gen_bool(p.address_missing) {
        return String::new();
    }
    let mut address = match p.address {
        Which::Hukou => person.hukou,
        Which::Residence => person.residence,
    };
    if let Some(previous) = person.previous_residence {
        if p.address == Which::Residence && rng.gen_bool(p.address_stale) {
            address = previous;
        }
    }
    if rng.gen_bool(p.address_number_typo) {
        let n = address.number();
        address = address.with_number(if rng.gen_bool(0.5) {
            n + 1
        } else {
            n * 10 + n % 10
        });
    }
    let granularity = if rng.gen_bool(p.address_coarser) {
        match p.granularity {
            Granularity::Full => Granularity::House,
            Granularity::House => Granularity::Village,
            _ => Granularity::Town,
        }
    } else {
        p.granularity
    };
    let text = address.render(granularity, p.prefix);
    if rng.gen_bool(p.address_traditional) {
        noise::traditional(&text)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::CountyBuilder;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_register_is_nearly_clean() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut county = CountyBuilder::new();
        let (mut rows, mut exact) = (0, 0);
        for _ in 0..300 {
            for person in county.household(&mut rng).members {
                if !person.registered {
                    continue;
                }
                let row = write_record(Kind::PoliceRegister, &person, &mut rng);
                rows += 1;
                exact += usize::from(
                    row.citizen_id == person.citizen_id && row.name == person.full_name(),
                );
                assert_eq!(row.source, Source::Police);
            }
        }
        assert!(exact as f64 / rows as f64 > 0.98, "{exact}/{rows}");
    }

    #[test]
    fn every_person_has_one_to_five_records() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut county = CountyBuilder::new();
        for _ in 0..2_000 {
            let household = county.household(&mut rng);
            for person in &household.members {
                let kinds = records_of(person, &household, &mut rng);
                assert!((1..=MAX_RECORDS).contains(&kinds.len()));
            }
        }
    }

    #[test]
    fn placeholder_names_use_the_mother() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut county = CountyBuilder::new();
        let household = county.household(&mut rng);
        let mother = household
            .members
            .iter()
            .find(|p| p.sex == Sex::Female)
            .cloned();
        let Some(mother) = mother else { return };
        let baby = county.newborn(None, &mother, &mut rng);
        assert!(placeholder_name(&baby).starts_with(&mother.full_name()));
    }
}
