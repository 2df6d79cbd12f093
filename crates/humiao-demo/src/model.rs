//! The synthetic county in memory: people, households, families and what happened to them.
//!
//! Everything is drawn from one seeded ChaCha8 stream in a fixed order, so the same seed and
//! `as_of` always give the same world. Rates are reached by quotas over a shuffled list of
//! families (not by independent coin flips), so every scenario appears even in a small county.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, Months, NaiveDate};
use humiao_core::person::age_on;
use humiao_core::records::{AssistanceType, CustodyMeasure, DisabilityCategory, DivorceChannel};
use humiao_core::{CitizenId, Sex};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::names::{to_traditional, Generation, NameGen};
use crate::places::{self, Places, TownKind, COUNTY_ID_PREFIX};

/// Address codes (first 6 digits of an ID) of people born outside the county.
const OTHER_ADDRESS_CODES: &[&str] = &[
    "510122", "430521", "411323", "342401", "522401", "360722", "500230", "450881", "330726",
    "331081",
];
pub(crate) const DESTINATIONS: &[&str] = &[
    "浙江省杭州市",
    "浙江省宁波市",
    "广东省深圳市",
    "广东省东莞市",
    "广东省广州市",
    "江苏省苏州市",
    "上海市",
    "福建省泉州市",
    "北京市",
];
const STUDY_DESTINATIONS: &[&str] = &["浙江省杭州市", "浙江省金华市", "上海市"];
const PRISONS_MALE: &[&str] = &["省东岭监狱", "省西山监狱", "省南湖监狱"];
const PRISONS_FEMALE: &[&str] = &["省女子监狱"];
const REHAB_MALE: &[&str] = &["省青山强制隔离戒毒所"];
const REHAB_FEMALE: &[&str] = &["省女子强制隔离戒毒所"];

/// Monthly amounts, in fen.
pub(crate) const UNSUPPORTED_ALLOWANCE_FEN: i64 = 190_000;
pub(crate) const ORPHAN_ALLOWANCE_FEN: i64 = 210_000;
pub(crate) const DIBAO_PER_PERSON_FEN: i64 = 105_000;
/// 特困人员 basic support plus care subsidy, per month.
pub(crate) const TEKUN_FEN: i64 = 136_500;
pub(crate) const TEKUN_CARE_FEN: [i64; 3] = [0, 30_000, 60_000];
/// Months of payment history written for each recipient.
pub(crate) const PAYMENT_MONTHS: u32 = 6;
/// "Recent" events (the early-warning window).
pub(crate) const RECENT_DAYS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Normal,
    Dead(NaiveDate),
    Missing(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutflowReason {
    Work,
    Study,
}

#[derive(Debug, Clone)]
pub(crate) struct Outflow {
    pub reason: OutflowReason,
    pub since: NaiveDate,
    pub destination: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct CustodySpell {
    pub measure: CustodyMeasure,
    pub start: NaiveDate,
    /// `None`: life sentence (无期徒刑), no planned end.
    pub end: Option<NaiveDate>,
    pub facility: &'static str,
    pub prisoner_no: String,
}

/// A diagnosis of an illness on the locality's serious-illness list (卫健).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Illness {
    pub name: &'static str,
    pub diagnosed: NaiveDate,
    /// Cured or otherwise ended; `None` while it lasts.
    pub ended: Option<NaiveDate>,
    pub hospital: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Disability {
    pub category: DisabilityCategory,
    pub grade: u8,
    pub issued: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Child,
    Father,
    Mother,
    Grandfather,
    Grandmother,
}

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: CitizenId,
    pub name: String,
    pub sex: Sex,
    pub birth: NaiveDate,
    pub role: Role,
    pub family: usize,
    pub household: usize,
    pub relation: &'static str,
    pub father: Option<usize>,
    pub mother: Option<usize>,
    pub status: Status,
    pub outflow: Option<Outflow>,
    pub custody: Vec<CustodySpell>,
    pub disability: Option<Disability>,
    pub illness: Option<Illness>,
    /// Civil-affairs records of this person still carry the legacy 15-digit ID.
    pub legacy_id: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Household {
    pub no: String,
    /// 户籍 village (index into `places.villages`).
    pub village: usize,
    pub address: String,
    pub res_village: usize,
    pub res_grid: usize,
    pub res_address: String,
    /// 居住登记日期 of a household living away from its registration (人户分离); `None` when it
    /// lives where it is registered, or (a few) when the register lacks the date.
    pub res_since: Option<NaiveDate>,
    /// Head first.
    pub members: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct DivorceEvent {
    pub date: NaiveDate,
    pub channel: DivorceChannel,
    pub record_no: String,
}

/// The main thing that happened to the parents of a family (at most one per family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primary {
    None,
    Orphan,
    // 事实无人抚养 variants.
    ImprisonedDead,
    ImprisonedMissing,
    BothImprisoned,
    DisabledImprisoned,
    DisabledDead,
    RehabDead,
    RecentImprisonedDead,
    RecentDeathImprisoned,
    SixMonthsDead,
    // Near misses: not 事实无人抚养.
    FiveMonthsDead,
    ReleasedDead,
    MildDisabledDead,
    // One parent affected, the other able.
    ParentDead,
    ParentDiedRecently,
    ParentImprisoned,
    ParentImprisonedRecently,
    ParentMissing,
    ParentInRehab,
    // Working away.
    AwayAndDisabled,
    BothAway,
    OneAway,
}

impl Primary {
    /// Families where the children most likely live with their grandparents.
    fn needs_carer(self) -> bool {
        !matches!(
            self,
            Self::None
                | Self::OneAway
                | Self::BothAway
                | Self::ParentDead
                | Self::ParentDiedRecently
                | Self::ParentImprisoned
                | Self::ParentImprisonedRecently
                | Self::ParentMissing
                | Self::ParentInRehab
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Family {
    pub father: usize,
    pub mother: usize,
    pub children: Vec<usize>,
    /// Paternal grandparents living in the family's household.
    pub grandparents: Vec<usize>,
    /// Maternal grandparents with a household of their own in the county.
    pub maternal: Vec<usize>,
    pub household: usize,
    pub primary: Primary,
    pub divorce: Option<DivorceEvent>,
    pub dibao: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub person: usize,
    pub assistance: AssistanceType,
    /// First day of the month paid for.
    pub month: NaiveDate,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StudentId {
    Correct,
    Empty,
    Mistyped,
}

#[derive(Debug, Clone)]
pub(crate) struct Student {
    pub child: usize,
    pub student_no: String,
    pub id_text: String,
    pub id_quality: StudentId,
    pub name: String,
    pub traditional: bool,
    /// Birth date written as text `2012.03.05` instead of an Excel date cell.
    pub birth_as_text: bool,
    pub school: String,
    pub grade_index: usize,
    pub guardian_name: String,
    pub phone: String,
    pub address: String,
}

/// How a household-register row of a child was damaged on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterDamage {
    BadBirthDate,
    BadCheckChar,
    ShortId,
}

pub(crate) struct World {
    pub as_of: NaiveDate,
    pub places: Places,
    pub persons: Vec<Person>,
    pub households: Vec<Household>,
    pub families: Vec<Family>,
    pub payments: Vec<Payment>,
    pub students: Vec<Student>,
    pub register_damage: Vec<(usize, RegisterDamage)>,
    /// Index of the family whose child turned 18 yesterday and is still paid.
    pub adult_paid_family: usize,
    /// Each person's payments (indices into `payments`) and how many payments there were when
    /// indexed: looking them up per child by scanning all payments made generating a county
    /// quadratic (a 600k county spent its first ten minutes there).
    payment_index: (usize, HashMap<usize, Vec<usize>>),
    names: NameGen,
    used_ids: HashSet<String>,
}

pub(crate) fn add_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m)).unwrap_or(d)
}

pub(crate) fn sub_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(m)).unwrap_or(d)
}

pub(crate) fn sub_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

pub(crate) fn add_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

/// A date drawn uniformly from `from..=to`; `to` when the range is empty.
pub(crate) fn rand_date(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    if from >= to {
        return to;
    }
    let span = (to - from).num_days() as u64;
    add_days(from, rng.gen_range(0..=span))
}

pub(crate) fn quota(rate: f64, base: usize, min: usize) -> usize {
    ((rate * base as f64).round() as usize).max(min)
}

pub(crate) fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

impl World {
    pub(crate) fn generate(rng: &mut ChaCha8Rng, children: usize, as_of: NaiveDate) -> World {
        // The illnesses, 特困 payments and residence dates come from a second stream, so adding
        // them left every other draw of a seed unchanged.
        let mut extra = rng.clone();
        extra.set_stream(1);
        let places = places::build(rng, children);
        let mut w = World {
            as_of,
            places,
            persons: Vec::new(),
            households: Vec::new(),
            families: Vec::new(),
            payments: Vec::new(),
            students: Vec::new(),
            register_damage: Vec::new(),
            adult_paid_family: usize::MAX,
            payment_index: (0, HashMap::new()),
            names: NameGen::new(),
            used_ids: HashSet::new(),
        };
        w.create_families(rng, children);
        w.assign_primaries(rng);
        w.add_grandparents(rng);
        w.apply_primaries(rng);
        w.overlays(rng);
        w.illnesses(&mut extra);
        w.assign_allowances();
        w.assign_dibao(rng);
        w.assign_tekun(&mut extra);
        w.move_divorced(rng);
        w.set_relations();
        w.enrol(rng);
        w.residence_dates(&mut extra);
        w.index_payments();
        w
    }

    fn index_payments(&mut self) {
        let mut index: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, p) in self.payments.iter().enumerate() {
            index.entry(p.person).or_default().push(i);
        }
        self.payment_index = (self.payments.len(), index);
    }

    /// The payments made to `person`: from the index once generation is done, by a scan while
    /// payments are still being added (or after they changed).
    pub(crate) fn payments_of(&self, person: usize) -> Vec<&Payment> {
        let (indexed, index) = &self.payment_index;
        if *indexed == self.payments.len() {
            index.get(&person).map_or_else(Vec::new, |ids| {
                ids.iter().map(|&i| &self.payments[i]).collect()
            })
        } else {
            self.payments
                .iter()
                .filter(|p| p.person == person)
                .collect()
        }
    }

    // ------------------------------------------------------------------ people

    fn alloc_id(
        &mut self,
        rng: &mut ChaCha8Rng,
        address: &str,
        birth: NaiveDate,
        sex: Sex,
    ) -> CitizenId {
        loop {
            let base = rng.gen_range(0..500u16) * 2;
            let seq = match sex {
                Sex::Male => base + 1,
                Sex::Female => base + 2,
            };
            if seq > 999 {
                continue;
            }
            let id = CitizenId::from_parts(address, birth, seq).expect("valid parts");
            if self.used_ids.insert(id.as_str().to_string()) {
                return id;
            }
        }
    }

    fn origin(rng: &mut ChaCha8Rng, local_share: f64) -> &'static str {
        if rng.gen_bool(local_share) {
            COUNTY_ID_PREFIX
        } else {
            OTHER_ADDRESS_CODES
                .choose(rng)
                .copied()
                .unwrap_or(COUNTY_ID_PREFIX)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_person(
        &mut self,
        rng: &mut ChaCha8Rng,
        name: String,
        sex: Sex,
        birth: NaiveDate,
        address_code: &str,
        role: Role,
        family: usize,
        household: usize,
    ) -> usize {
        let id = self.alloc_id(rng, address_code, birth, sex);
        let legacy_id = birth.year() < 2000 && rng.gen_bool(0.05);
        self.persons.push(Person {
            id,
            name,
            sex,
            birth,
            role,
            family,
            household,
            relation: "",
            father: None,
            mother: None,
            status: Status::Normal,
            outflow: None,
            custody: Vec::new(),
            disability: None,
            illness: None,
            legacy_id,
        });
        self.households[household]
            .members
            .push(self.persons.len() - 1);
        self.persons.len() - 1
    }

    fn new_household(&mut self, rng: &mut ChaCha8Rng, village: usize, away_share: f64) -> usize {
        let no = self.places.next_household_no(village);
        let address = self.places.address(rng, village);
        let (res_village, res_address) = if rng.gen_bool(away_share) {
            // 人户分离: lives elsewhere in the county, more often in town.
            let urban: Vec<usize> = (0..self.places.villages.len())
                .filter(|&v| v != village && !self.places.villages[v].rural)
                .collect();
            let other = if rng.gen_bool(0.6) && !urban.is_empty() {
                urban[rng.gen_range(0..urban.len())]
            } else {
                let mut v = rng.gen_range(0..self.places.villages.len());
                if v == village {
                    v = (v + 1) % self.places.villages.len();
                }
                v
            };
            (other, self.places.address(rng, other))
        } else {
            (village, address.clone())
        };
        let res_grid = rng.gen_range(0..self.places.villages[res_village].grids.len());
        self.households.push(Household {
            no,
            village,
            address,
            res_village,
            res_grid,
            res_address,
            res_since: None,
            members: Vec::new(),
        });
        self.households.len() - 1
    }

    fn child_name(
        &mut self,
        rng: &mut ChaCha8Rng,
        surname: &str,
        sex: Sex,
        taken: &[String],
    ) -> String {
        loop {
            let name = format!("{surname}{}", self.names.given(rng, sex, Generation::Child));
            if !taken.contains(&name) {
                return name;
            }
        }
    }

    /// A family with children born on `births` (equal dates are twins).
    fn new_family(&mut self, rng: &mut ChaCha8Rng, births: &[NaiveDate]) -> usize {
        let village = rng.gen_range(0..self.places.villages.len());
        let household = self.new_household(rng, village, 0.08);
        let family = self.families.len();
        let oldest = births.iter().min().copied().unwrap_or(self.as_of);
        let father_birth = sub_days(
            sub_months(oldest, 12 * rng.gen_range(22..=40)),
            rng.gen_range(0..365),
        );
        let mother_birth = sub_days(
            sub_months(oldest, 12 * rng.gen_range(20..=36)),
            rng.gen_range(0..365),
        );
        let father_surname = self.names.surname(rng);
        let mut mother_surname = self.names.surname(rng);
        if mother_surname == father_surname {
            mother_surname = self.names.surname(rng);
        }
        let father_name = format!(
            "{father_surname}{}",
            self.names.given(rng, Sex::Male, Generation::Parent)
        );
        let mother_name = format!(
            "{mother_surname}{}",
            self.names.given(rng, Sex::Female, Generation::Parent)
        );
        let father_origin = Self::origin(rng, 0.85);
        let mother_origin = Self::origin(rng, 0.7);
        let father = self.add_person(
            rng,
            father_name,
            Sex::Male,
            father_birth,
            father_origin,
            Role::Father,
            family,
            household,
        );
        let mother = self.add_person(
            rng,
            mother_name,
            Sex::Female,
            mother_birth,
            mother_origin,
            Role::Mother,
            family,
            household,
        );
        let child_surname = if rng.gen_bool(0.95) {
            father_surname
        } else {
            mother_surname
        };
        let mut children = Vec::new();
        let mut taken: Vec<String> = Vec::new();
        for &birth in births {
            let sex = if rng.gen_bool(0.52) {
                Sex::Male
            } else {
                Sex::Female
            };
            let name = self.child_name(rng, child_surname, sex, &taken);
            taken.push(name.clone());
            let origin = if rng.gen_bool(0.93) {
                COUNTY_ID_PREFIX
            } else {
                father_origin
            };
            let c = self.add_person(
                rng,
                name,
                sex,
                birth,
                origin,
                Role::Child,
                family,
                household,
            );
            self.persons[c].father = Some(father);
            self.persons[c].mother = Some(mother);
            children.push(c);
        }
        self.families.push(Family {
            father,
            mother,
            children,
            grandparents: Vec::new(),
            maternal: Vec::new(),
            household,
            primary: Primary::None,
            divorce: None,
            dibao: false,
        });
        family
    }

    /// Earliest birth date of a randomly drawn child: 17 years old on `as_of`.
    fn min_child_birth(&self) -> NaiveDate {
        add_days(sub_months(self.as_of, 216), 2)
    }

    fn create_families(&mut self, rng: &mut ChaCha8Rng, target: usize) {
        let as_of = self.as_of;
        // Boundary families first: 17 and turning 18 tomorrow; turned 18 yesterday.
        let mut made = 0;
        if target >= 2 {
            let aged17 = sub_months(add_days(as_of, 1), 216);
            let f = self.new_family(rng, &[aged17]);
            self.families[f].primary = Primary::BothImprisoned;
            let adult = sub_months(sub_days(as_of, 1), 216);
            let f = self.new_family(rng, &[adult]);
            self.families[f].primary = Primary::ImprisonedDead;
            self.adult_paid_family = f;
            made = 2;
        }
        let min_birth = self.min_child_birth();
        let max_birth = sub_days(as_of, 1);
        while made < target {
            let roll: f64 = rng.gen();
            let wanted = if roll < 0.45 {
                1
            } else if roll < 0.90 {
                2
            } else {
                3
            };
            let wanted = wanted.min(target - made);
            let mut births = vec![rand_date(rng, min_birth, max_birth)];
            let twins = wanted >= 2 && rng.gen_bool(0.025);
            if twins {
                births.push(births[0]);
            }
            while births.len() < wanted {
                let prev = *births.iter().min().expect("non-empty");
                let b = sub_days(prev, rng.gen_range(400..2200));
                if b < min_birth {
                    break;
                }
                births.push(b);
            }
            births.sort();
            made += births.len();
            self.new_family(rng, &births);
        }
    }

    pub(crate) fn rural(&self, family: usize) -> bool {
        let hh = &self.households[self.families[family].household];
        self.places.villages[hh.village].rural
    }

    pub(crate) fn under16(&self, family: usize) -> usize {
        self.families[family]
            .children
            .iter()
            .filter(|&&c| age_on(self.persons[c].birth, self.as_of) < 16)
            .count()
    }

    fn youngest_birth(&self, family: usize) -> NaiveDate {
        self.families[family]
            .children
            .iter()
            .map(|&c| self.persons[c].birth)
            .max()
            .unwrap_or(self.as_of)
    }

    // ------------------------------------------------------------------ scenarios

    pub(crate) fn boundary_families(&self) -> usize {
        if self.adult_paid_family == 1 {
            2
        } else {
            0
        }
    }

    /// Gives `primary` to up to `count` families without one that satisfy `pred`, in `order`.
    fn take(
        &mut self,
        order: &[usize],
        count: usize,
        primary: Primary,
        pred: &dyn Fn(&World, usize) -> bool,
    ) {
        let mut taken = 0;
        for &f in order {
            if taken == count {
                break;
            }
            if self.families[f].primary == Primary::None && pred(self, f) {
                self.families[f].primary = primary;
                taken += 1;
            }
        }
    }

    fn assign_primaries(&mut self, rng: &mut ChaCha8Rng) {
        let mut order: Vec<usize> = (self.boundary_families()..self.families.len()).collect();
        order.shuffle(rng);
        let n = order.len();
        let any = |_: &World, _: usize| true;
        self.take(&order, quota(0.01, n, 1), Primary::Orphan, &any);
        let variants = [
            Primary::ImprisonedDead,
            Primary::ImprisonedMissing,
            Primary::BothImprisoned,
            Primary::DisabledImprisoned,
            Primary::DisabledDead,
            Primary::RehabDead,
            Primary::RecentImprisonedDead,
            Primary::RecentDeathImprisoned,
            Primary::SixMonthsDead,
        ];
        let cycle = [
            Primary::ImprisonedDead,
            Primary::BothImprisoned,
            Primary::ImprisonedMissing,
            Primary::DisabledImprisoned,
            Primary::DisabledDead,
            Primary::RehabDead,
            Primary::ImprisonedDead,
            Primary::BothImprisoned,
        ];
        let total = quota(0.025, n, variants.len());
        for i in 0..total {
            let p = if i < variants.len() {
                variants[i]
            } else {
                cycle[(i - variants.len()) % cycle.len()]
            };
            self.take(&order, 1, p, &any);
        }
        for p in [
            Primary::FiveMonthsDead,
            Primary::ReleasedDead,
            Primary::MildDisabledDead,
        ] {
            self.take(&order, quota(0.002, n, 1), p, &any);
        }
        self.take(&order, quota(0.02, n, 1), Primary::ParentDead, &any);
        self.take(
            &order,
            quota(0.003, n, 2),
            Primary::ParentDiedRecently,
            &any,
        );
        self.take(&order, quota(0.01, n, 1), Primary::ParentImprisoned, &any);
        self.take(
            &order,
            quota(0.003, n, 2),
            Primary::ParentImprisonedRecently,
            &any,
        );
        self.take(&order, quota(0.003, n, 1), Primary::ParentMissing, &any);
        self.take(&order, quota(0.003, n, 1), Primary::ParentInRehab, &any);
        let rural_young = |w: &World, f: usize| w.rural(f) && w.under16(f) > 0;
        self.take(
            &order,
            quota(0.003, n, 1),
            Primary::AwayAndDisabled,
            &rural_young,
        );
        // 农村留守: both parents away for ~15% of all rural children under 16.
        let rural_under16: usize = (0..self.families.len())
            .filter(|&f| self.rural(f))
            .map(|f| self.under16(f))
            .sum();
        let target = quota(0.15, rural_under16, 1);
        let mut covered = 0;
        for &f in &order {
            if covered >= target {
                break;
            }
            if self.families[f].primary == Primary::None && rural_young(self, f) {
                self.families[f].primary = Primary::BothAway;
                covered += self.under16(f);
            }
        }
        let urban_families = (0..self.families.len()).filter(|&f| !self.rural(f)).count();
        self.take(
            &order,
            quota(0.03, urban_families, 1),
            Primary::BothAway,
            &|w: &World, f: usize| !w.rural(f),
        );
        self.take(&order, quota(0.10, n, 1), Primary::OneAway, &any);
    }

    fn add_grandparents(&mut self, rng: &mut ChaCha8Rng) {
        for f in 0..self.families.len() {
            let primary = self.families[f].primary;
            let wanted = rng.gen_bool(0.6)
                || primary.needs_carer()
                || (primary == Primary::BothAway && rng.gen_bool(0.7));
            if !wanted {
                continue;
            }
            let father = self.families[f].father;
            let household = self.families[f].household;
            // Paternal grandparents live in the child's household, under its head.
            let gps = self.add_elders(rng, f, father, household, ElderSide::Paternal);
            self.families[f].grandparents = gps;
        }
        // Maternal grandparents of local mothers, in their own household.
        for f in 0..self.families.len() {
            let mother = self.families[f].mother;
            if !self.persons[mother]
                .id
                .as_str()
                .starts_with(COUNTY_ID_PREFIX)
                || !rng.gen_bool(0.6)
            {
                continue;
            }
            let village = rng.gen_range(0..self.places.villages.len());
            let household = self.new_household(rng, village, 0.05);
            let gps = self.add_elders(rng, f, mother, household, ElderSide::Maternal);
            self.families[f].maternal = gps;
        }
    }

    /// Adds the parents of `parent` (a grandfather, a grandmother or both) to `household` and
    /// links them to `parent`. The grandfather shares the parent's surname.
    fn add_elders(
        &mut self,
        rng: &mut ChaCha8Rng,
        f: usize,
        parent: usize,
        household: usize,
        side: ElderSide,
    ) -> Vec<usize> {
        let both = rng.gen_bool(0.7);
        let surname: String = {
            // Compound surnames are kept whole.
            let name = &self.persons[parent].name;
            if name.starts_with("欧阳") {
                "欧阳".to_string()
            } else {
                name.chars().take(1).collect()
            }
        };
        let gf_birth = sub_days(
            sub_months(self.persons[parent].birth, 12 * rng.gen_range(22..=34)),
            rng.gen_range(0..365),
        );
        let with_grandfather = both || rng.gen_bool(0.4);
        let mut elders = Vec::new();
        if with_grandfather {
            let name = format!(
                "{surname}{}",
                self.names.given(rng, Sex::Male, Generation::Elder)
            );
            let origin = match side {
                ElderSide::Paternal => Self::origin(rng, 0.95),
                // A local mother's father was registered in the county.
                ElderSide::Maternal => COUNTY_ID_PREFIX,
            };
            let gf = self.add_person(
                rng,
                name,
                Sex::Male,
                gf_birth,
                origin,
                Role::Grandfather,
                f,
                household,
            );
            if side == ElderSide::Maternal {
                self.persons[gf].relation = "户主";
            }
            self.persons[parent].father = Some(gf);
            elders.push(gf);
        }
        if both || !with_grandfather {
            let gm_birth = add_days(gf_birth, rng.gen_range(0..1800));
            let name = format!(
                "{}{}",
                self.names.surname(rng),
                self.names.given(rng, Sex::Female, Generation::Elder)
            );
            let local_share = match side {
                ElderSide::Paternal => 0.95,
                ElderSide::Maternal => 0.9,
            };
            let origin = Self::origin(rng, local_share);
            let gm = self.add_person(
                rng,
                name,
                Sex::Female,
                gm_birth,
                origin,
                Role::Grandmother,
                f,
                household,
            );
            if side == ElderSide::Maternal {
                self.persons[gm].relation = if with_grandfather { "配偶" } else { "户主" };
            }
            self.persons[parent].mother = Some(gm);
            elders.push(gm);
        }
        elders
    }

    fn facility(rng: &mut ChaCha8Rng, measure: CustodyMeasure, sex: Sex) -> &'static str {
        let list = match (measure, sex) {
            (CustodyMeasure::DrugRehabilitation, Sex::Male) => REHAB_MALE,
            (CustodyMeasure::DrugRehabilitation, Sex::Female) => REHAB_FEMALE,
            (_, Sex::Male) => PRISONS_MALE,
            (_, Sex::Female) => PRISONS_FEMALE,
        };
        list.choose(rng).copied().unwrap_or("省东岭监狱")
    }

    fn add_custody(
        &mut self,
        rng: &mut ChaCha8Rng,
        p: usize,
        measure: CustodyMeasure,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) {
        let facility = Self::facility(rng, measure, self.persons[p].sex);
        let prisoner_no = format!(
            "{}{:06}",
            start.format("%Y"),
            rng.gen_range(1..1_000_000u32)
        );
        self.persons[p].custody.push(CustodySpell {
            measure,
            start,
            end,
            facility,
            prisoner_no,
        });
    }

    /// A sentence of at least 7 months, begun at least 90 days ago, still running.
    fn imprison_long(&mut self, rng: &mut ChaCha8Rng, p: usize, family: usize, life: bool) {
        let as_of = self.as_of;
        let from = self.youngest_birth(family).max(sub_months(as_of, 60));
        let start = rand_date(rng, from, sub_days(as_of, 90));
        let end = if life {
            None
        } else {
            let end = rand_date(rng, add_days(as_of, 30), add_months(as_of, 72));
            Some(end.max(add_months(start, 7)))
        };
        self.add_custody(rng, p, CustodyMeasure::Imprisonment, start, end);
    }

    fn imprison_recent(&mut self, rng: &mut ChaCha8Rng, p: usize) {
        let start = sub_days(self.as_of, rng.gen_range(1..=RECENT_DAYS));
        let end = add_months(start, rng.gen_range(12..=60));
        self.add_custody(rng, p, CustodyMeasure::Imprisonment, start, Some(end));
    }

    /// A sentence of exactly `months` months, begun `ago` months ago (so still running).
    fn imprison_exact(&mut self, rng: &mut ChaCha8Rng, p: usize, months: u32, ago: u32) {
        let start = sub_months(self.as_of, ago);
        let end = add_months(start, months);
        self.add_custody(rng, p, CustodyMeasure::Imprisonment, start, Some(end));
    }

    fn released(&mut self, rng: &mut ChaCha8Rng, p: usize) {
        let as_of = self.as_of;
        let start = rand_date(rng, sub_months(as_of, 96), sub_months(as_of, 30));
        let end = rand_date(rng, add_months(start, 6), sub_days(as_of, 30));
        self.add_custody(rng, p, CustodyMeasure::Imprisonment, start, Some(end));
    }

    fn rehab(&mut self, rng: &mut ChaCha8Rng, p: usize) {
        let as_of = self.as_of;
        let start = rand_date(rng, sub_months(as_of, 20), sub_days(as_of, 30));
        let end = add_months(start, 24);
        self.add_custody(rng, p, CustodyMeasure::DrugRehabilitation, start, Some(end));
    }

    fn die_long_ago(&mut self, rng: &mut ChaCha8Rng, p: usize, family: usize) {
        let as_of = self.as_of;
        let from = self.youngest_birth(family).max(sub_months(as_of, 120));
        let date = rand_date(rng, from, sub_days(as_of, 90));
        self.persons[p].status = Status::Dead(date);
    }

    fn die_recently(&mut self, rng: &mut ChaCha8Rng, p: usize) {
        let date = sub_days(self.as_of, rng.gen_range(1..=RECENT_DAYS));
        self.persons[p].status = Status::Dead(date);
    }

    fn go_missing(&mut self, rng: &mut ChaCha8Rng, p: usize) {
        let as_of = self.as_of;
        let date = rand_date(rng, sub_months(as_of, 72), sub_days(as_of, 200));
        self.persons[p].status = Status::Missing(date);
    }

    fn disable(&mut self, rng: &mut ChaCha8Rng, p: usize, severe: bool) {
        use DisabilityCategory::*;
        let (category, grade) = if severe {
            if rng.gen_bool(0.5) {
                let c = *[Visual, Hearing, Physical, Multiple, Speech]
                    .choose(rng)
                    .unwrap_or(&Physical);
                (c, rng.gen_range(1..=2))
            } else {
                let c = *[Intellectual, Mental].choose(rng).unwrap_or(&Mental);
                (c, rng.gen_range(3..=4))
            }
        } else {
            let c = *[Visual, Hearing, Physical].choose(rng).unwrap_or(&Physical);
            (c, rng.gen_range(3..=4))
        };
        let as_of = self.as_of;
        let issued = rand_date(rng, sub_months(as_of, 144), sub_days(as_of, 30));
        self.persons[p].disability = Some(Disability {
            category,
            grade,
            issued,
        });
    }

    fn send_away(&mut self, rng: &mut ChaCha8Rng, p: usize, destination: Option<&'static str>) {
        let as_of = self.as_of;
        let since = rand_date(rng, sub_months(as_of, 96), sub_days(as_of, 90));
        let destination =
            destination.unwrap_or_else(|| DESTINATIONS.choose(rng).copied().unwrap_or("上海市"));
        self.persons[p].outflow = Some(Outflow {
            reason: OutflowReason::Work,
            since,
            destination,
        });
    }

    fn apply_primaries(&mut self, rng: &mut ChaCha8Rng) {
        for f in 0..self.families.len() {
            let (father, mother) = (self.families[f].father, self.families[f].mother);
            // `a` is the parent the main event happens to; imprisonment is mostly fathers.
            let father_first = |rng: &mut ChaCha8Rng, p: f64| {
                if rng.gen_bool(p) {
                    (father, mother)
                } else {
                    (mother, father)
                }
            };
            match self.families[f].primary {
                Primary::None => {}
                Primary::Orphan => {
                    self.die_long_ago(rng, father, f);
                    if rng.gen_bool(0.2) {
                        self.die_recently(rng, mother);
                    } else {
                        self.die_long_ago(rng, mother, f);
                    }
                }
                Primary::ImprisonedDead => {
                    let (a, b) = father_first(rng, 0.85);
                    self.imprison_long(rng, a, f, false);
                    self.die_long_ago(rng, b, f);
                }
                Primary::ImprisonedMissing => {
                    let (a, b) = father_first(rng, 0.85);
                    self.imprison_long(rng, a, f, false);
                    self.go_missing(rng, b);
                }
                Primary::BothImprisoned => {
                    let life = rng.gen_bool(0.25);
                    self.imprison_long(rng, father, f, life);
                    self.imprison_long(rng, mother, f, false);
                }
                Primary::DisabledImprisoned => {
                    let (a, b) = father_first(rng, 0.85);
                    self.imprison_long(rng, a, f, false);
                    self.disable(rng, b, true);
                }
                Primary::DisabledDead => {
                    let (a, b) = father_first(rng, 0.5);
                    self.disable(rng, a, true);
                    self.die_long_ago(rng, b, f);
                }
                Primary::RehabDead => {
                    let (a, b) = father_first(rng, 0.8);
                    self.rehab(rng, a);
                    self.die_long_ago(rng, b, f);
                }
                Primary::RecentImprisonedDead => {
                    let (a, b) = father_first(rng, 0.85);
                    self.imprison_recent(rng, a);
                    self.die_long_ago(rng, b, f);
                }
                Primary::RecentDeathImprisoned => {
                    let (a, b) = father_first(rng, 0.85);
                    self.imprison_long(rng, a, f, false);
                    self.die_recently(rng, b);
                }
                Primary::SixMonthsDead => {
                    let (a, b) = father_first(rng, 0.85);
                    let ago = rng.gen_range(1..=3);
                    self.imprison_exact(rng, a, 6, ago);
                    self.die_long_ago(rng, b, f);
                }
                Primary::FiveMonthsDead => {
                    let (a, b) = father_first(rng, 0.85);
                    self.imprison_exact(rng, a, 5, 2);
                    self.die_long_ago(rng, b, f);
                }
                Primary::ReleasedDead => {
                    let (a, b) = father_first(rng, 0.85);
                    self.released(rng, a);
                    self.die_long_ago(rng, b, f);
                }
                Primary::MildDisabledDead => {
                    let (a, b) = father_first(rng, 0.5);
                    self.disable(rng, a, false);
                    self.die_long_ago(rng, b, f);
                }
                Primary::ParentDead => {
                    let (a, _) = father_first(rng, 0.6);
                    self.die_long_ago(rng, a, f);
                }
                Primary::ParentDiedRecently => {
                    let (a, _) = father_first(rng, 0.6);
                    self.die_recently(rng, a);
                }
                Primary::ParentImprisoned => {
                    let (a, _) = father_first(rng, 0.85);
                    self.imprison_long(rng, a, f, false);
                }
                Primary::ParentImprisonedRecently => {
                    let (a, _) = father_first(rng, 0.85);
                    self.imprison_recent(rng, a);
                }
                Primary::ParentMissing => {
                    let (a, _) = father_first(rng, 0.6);
                    self.go_missing(rng, a);
                }
                Primary::ParentInRehab => {
                    let (a, _) = father_first(rng, 0.8);
                    self.rehab(rng, a);
                }
                Primary::AwayAndDisabled => {
                    let (a, b) = father_first(rng, 0.7);
                    self.send_away(rng, a, None);
                    self.disable(rng, b, true);
                }
                Primary::BothAway => {
                    self.send_away(rng, father, None);
                    let same = rng.gen_bool(0.7);
                    let dest = self.persons[father]
                        .outflow
                        .as_ref()
                        .map(|o| o.destination)
                        .filter(|_| same);
                    self.send_away(rng, mother, dest);
                }
                Primary::OneAway => {
                    let (a, _) = father_first(rng, 0.75);
                    self.send_away(rng, a, None);
                }
            }
        }
    }

    fn overlays(&mut self, rng: &mut ChaCha8Rng) {
        let as_of = self.as_of;
        let n = self.families.len();
        // Divorces, some within the last 60 days.
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let divorce_ok = |p: Primary| {
            matches!(
                p,
                Primary::None
                    | Primary::OneAway
                    | Primary::BothAway
                    | Primary::ParentImprisoned
                    | Primary::ParentImprisonedRecently
            )
        };
        let divorces = quota(0.05, n, 3);
        let recent = quota(0.2, divorces, 2);
        let mut made = 0;
        let mut court_serial = rng.gen_range(100..400);
        let mut registry_serial = rng.gen_range(100..400);
        for &f in &order {
            if made == divorces {
                break;
            }
            if !divorce_ok(self.families[f].primary) || f == self.adult_paid_family {
                continue;
            }
            let date = if made < recent {
                sub_days(as_of, rng.gen_range(1..=RECENT_DAYS))
            } else {
                let from = add_days(self.youngest_birth(f), 180);
                rand_date(rng, from, sub_days(as_of, RECENT_DAYS + 30))
            };
            let channel = if rng.gen_bool(0.7) {
                DivorceChannel::Registration
            } else {
                DivorceChannel::Judgment
            };
            let record_no = match channel {
                DivorceChannel::Registration => {
                    registry_serial += rng.gen_range(1..9);
                    format!("L330199-{}-{registry_serial:06}", date.year())
                }
                DivorceChannel::Judgment => {
                    court_serial += rng.gen_range(1..15);
                    format!("（{}）浙0199民初{court_serial}号", date.year())
                }
            };
            self.families[f].divorce = Some(DivorceEvent {
                date,
                channel,
                record_no,
            });
            made += 1;
        }
        // Past sentences already served, as background in the prison file.
        for f in 0..n {
            if matches!(
                self.families[f].primary,
                Primary::None | Primary::OneAway | Primary::BothAway
            ) && rng.gen_bool(0.015)
            {
                let p = if rng.gen_bool(0.85) {
                    self.families[f].father
                } else {
                    self.families[f].mother
                };
                self.released(rng, p);
            }
        }
        // Disabled children (~2%), at least a year old.
        let mut kids: Vec<usize> = (0..self.persons.len())
            .filter(|&p| {
                self.persons[p].role == Role::Child
                    && age_on(self.persons[p].birth, as_of) >= 1
                    && age_on(self.persons[p].birth, as_of) < 18
            })
            .collect();
        let wanted = quota(0.02, kids.len(), 1);
        kids.shuffle(rng);
        for &c in kids.iter().take(wanted) {
            use DisabilityCategory::*;
            let cats = [
                (Physical, 30),
                (Intellectual, 25),
                (Hearing, 10),
                (Speech, 10),
                (Visual, 10),
                (Multiple, 10),
                (Mental, 5),
            ];
            let total: u32 = cats.iter().map(|(_, w)| w).sum();
            let mut roll = rng.gen_range(0..total);
            let mut category = Physical;
            for (c, w) in cats {
                if roll < w {
                    category = c;
                    break;
                }
                roll -= w;
            }
            let grade = rng.gen_range(1..=4);
            let from = add_days(self.persons[c].birth, 180).max(sub_months(as_of, 120));
            let issued = rand_date(rng, from, sub_days(as_of, 1));
            self.persons[c].disability = Some(Disability {
                category,
                grade,
                issued,
            });
        }
        // Elderly with certificates, as background.
        for p in 0..self.persons.len() {
            if matches!(self.persons[p].role, Role::Grandfather | Role::Grandmother)
                && rng.gen_bool(0.06)
            {
                let severe = rng.gen_bool(0.4);
                self.disable(rng, p, severe);
            }
        }
        // Older children studying away (not in the county's school roll).
        let boundary = self.boundary_families();
        for p in 0..self.persons.len() {
            let person = &self.persons[p];
            if person.role != Role::Child || person.family < boundary {
                continue;
            }
            let age = age_on(person.birth, as_of);
            if (15..18).contains(&age) && rng.gen_bool(0.03) {
                let since = sub_days(as_of, rng.gen_range(60..700));
                let destination = STUDY_DESTINATIONS.choose(rng).copied().unwrap_or("上海市");
                self.persons[p].outflow = Some(Outflow {
                    reason: OutflowReason::Study,
                    since,
                    destination,
                });
            }
        }
    }

    pub(crate) fn payment_months(&self) -> Vec<NaiveDate> {
        let this_month = first_of_month(self.as_of);
        (1..=PAYMENT_MONTHS)
            .rev()
            .map(|k| sub_months(this_month, k))
            .collect()
    }

    /// Pays ~60% of the families whose children are 孤儿 or 事实无人抚养 (the rest are 应保未保),
    /// and keeps paying the child who turned 18 yesterday.
    fn assign_allowances(&mut self) {
        use humiao_core::policy::Category;
        let months = self.payment_months();
        let mut qualifying = 0usize;
        for f in 0..self.families.len() {
            let mut paid: Vec<(usize, AssistanceType)> = Vec::new();
            if f == self.adult_paid_family {
                paid.extend(
                    self.families[f]
                        .children
                        .iter()
                        .map(|&c| (c, AssistanceType::UnsupportedChildAllowance)),
                );
            } else {
                let entitled: Vec<(usize, AssistanceType)> = self.families[f]
                    .children
                    .iter()
                    .filter_map(|&c| {
                        let cats = crate::rules::base_categories(self, c);
                        if cats.contains(&Category::Orphan) {
                            Some((c, AssistanceType::OrphanAllowance))
                        } else if cats.contains(&Category::DeFactoUnsupported) {
                            Some((c, AssistanceType::UnsupportedChildAllowance))
                        } else {
                            None
                        }
                    })
                    .collect();
                if entitled.is_empty() {
                    continue;
                }
                if qualifying % 5 < 3 {
                    paid = entitled;
                }
                qualifying += 1;
            }
            for (child, assistance) in paid {
                let amount_fen = match assistance {
                    AssistanceType::OrphanAllowance => ORPHAN_ALLOWANCE_FEN,
                    _ => UNSUPPORTED_ALLOWANCE_FEN,
                };
                for &month in &months {
                    self.payments.push(Payment {
                        person: child,
                        assistance,
                        month,
                        amount_fen,
                    });
                }
            }
        }
    }

    pub(crate) fn available(&self, p: usize) -> bool {
        let person = &self.persons[p];
        person.status == Status::Normal
            && person.outflow.is_none()
            && !crate::rules::in_custody(person, self.as_of)
    }

    fn assign_dibao(&mut self, rng: &mut ChaCha8Rng) {
        let n = self.families.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let wanted = quota(0.04, n, 1);
        let months = self.payment_months();
        let mut made = 0;
        for &f in &order {
            if made == wanted {
                break;
            }
            let fam = &self.families[f];
            let mut candidates = vec![fam.father, fam.mother];
            candidates.extend(fam.grandparents.iter().copied());
            let Some(applicant) = candidates.into_iter().find(|&p| self.available(p)) else {
                continue;
            };
            let members = [fam.father, fam.mother]
                .iter()
                .chain(fam.children.iter())
                .chain(fam.grandparents.iter())
                .filter(|&&p| self.persons[p].status == Status::Normal)
                .count() as i64;
            // The allowance tops the family up to the standard: a share of it, to 10 yuan.
            let per_person = rng.gen_range(30..=70) * 1_000;
            let amount_fen = (members * per_person).min(members * DIBAO_PER_PERSON_FEN);
            self.families[f].dibao = true;
            for &month in &months {
                self.payments.push(Payment {
                    person: applicant,
                    assistance: AssistanceType::Dibao,
                    month,
                    amount_fen,
                });
            }
            made += 1;
        }
    }

    /// After an older divorce the mother has her own household elsewhere in the county; after a
    /// recent one the register has not caught up yet.
    fn move_divorced(&mut self, rng: &mut ChaCha8Rng) {
        let as_of = self.as_of;
        for f in 0..self.families.len() {
            let Some(divorce) = &self.families[f].divorce else {
                continue;
            };
            if divorce.date >= sub_days(as_of, RECENT_DAYS) {
                continue;
            }
            let mother = self.families[f].mother;
            let old = self.families[f].household;
            // Back to her parents' household if they live in the county, else one of her own.
            let parents_home = self.families[f]
                .maternal
                .first()
                .map(|&g| self.persons[g].household)
                .filter(|_| rng.gen_bool(0.6));
            let hh = match parents_home {
                Some(hh) => hh,
                None => {
                    let village = rng.gen_range(0..self.places.villages.len());
                    self.new_household(rng, village, 0.0)
                }
            };
            self.households[old].members.retain(|&m| m != mother);
            self.households[hh].members.push(mother);
            self.persons[mother].household = hh;
        }
    }

    fn set_relations(&mut self) {
        for f in 0..self.families.len() {
            let fam = self.families[f].clone();
            let grandfather = fam
                .grandparents
                .iter()
                .copied()
                .find(|&g| self.persons[g].role == Role::Grandfather);
            let grandfather_head = grandfather.is_some() && f % 2 == 0;
            let moved_mother = self.persons[fam.mother].household != fam.household;
            if moved_mother {
                let home = &self.households[self.persons[fam.mother].household];
                self.persons[fam.mother].relation = if home.members.len() > 1 {
                    "女"
                } else {
                    "户主"
                };
            }
            if let (true, Some(gf)) = (grandfather_head, grandfather) {
                self.persons[gf].relation = "户主";
                for &g in &fam.grandparents {
                    if g != gf {
                        self.persons[g].relation = "配偶";
                    }
                }
                self.persons[fam.father].relation = "子";
                if !moved_mother {
                    self.persons[fam.mother].relation = "儿媳";
                }
                for &c in &fam.children {
                    self.persons[c].relation = match self.persons[c].sex {
                        Sex::Male => "孙子",
                        Sex::Female => "孙女",
                    };
                }
            } else {
                self.persons[fam.father].relation = "户主";
                if !moved_mother {
                    self.persons[fam.mother].relation = "配偶";
                }
                for &g in &fam.grandparents {
                    self.persons[g].relation = match self.persons[g].sex {
                        Sex::Male => "父亲",
                        Sex::Female => "母亲",
                    };
                }
                for &c in &fam.children {
                    self.persons[c].relation = match self.persons[c].sex {
                        Sex::Male => "子",
                        Sex::Female => "女",
                    };
                }
            }
            // Head first, then in the order of the relation list.
            let order = [
                "户主", "配偶", "子", "儿媳", "女", "孙子", "孙女", "父亲", "母亲",
            ];
            let rank = |p: usize| {
                order
                    .iter()
                    .position(|r| *r == self.persons[p].relation)
                    .unwrap_or(order.len())
            };
            let mut members = self.households[fam.household].members.clone();
            members.sort_by_key(|&p| rank(p));
            self.households[fam.household].members = members;
        }
    }

    // ------------------------------------------------------------------ guardians

    /// The register's 监护人 of a child: a parent able to act, else a grandparent.
    pub(crate) fn register_guardian(&self, child: usize) -> Option<usize> {
        let c = &self.persons[child];
        let fam = &self.families[c.family];
        let able = |p: usize| {
            let person = &self.persons[p];
            person.status == Status::Normal && !crate::rules::in_custody(person, self.as_of)
        };
        [fam.father, fam.mother]
            .into_iter()
            .find(|&p| able(p))
            .or_else(|| fam.grandparents.iter().copied().find(|&g| able(g)))
    }

    /// Who the school has on file: the adult the child actually lives with.
    fn carer(&self, rng: &mut ChaCha8Rng, child: usize) -> Option<usize> {
        let c = &self.persons[child];
        let fam = &self.families[c.family];
        let mut parents: Vec<usize> = [fam.mother, fam.father]
            .into_iter()
            .filter(|&p| self.available(p) && self.persons[p].household == c.household)
            .collect();
        if parents.len() == 2 && rng.gen_bool(0.45) {
            parents.swap(0, 1);
        }
        parents
            .first()
            .copied()
            .or_else(|| {
                fam.grandparents
                    .iter()
                    .copied()
                    .find(|&g| self.available(g))
            })
            .or_else(|| self.register_guardian(child))
    }

    // ------------------------------------------------------------------ schools

    fn enrol(&mut self, rng: &mut ChaCha8Rng) {
        let as_of = self.as_of;
        let school_year = if as_of.month() >= 9 {
            as_of.year()
        } else {
            as_of.year() - 1
        };
        let sept1 = NaiveDate::from_ymd_opt(school_year, 9, 1).unwrap_or(as_of);
        for child in 0..self.persons.len() {
            let p = &self.persons[child];
            if p.role != Role::Child || age_on(p.birth, as_of) >= 18 {
                continue;
            }
            if p.outflow.is_some() {
                continue;
            }
            let grade_age = age_on(p.birth, sept1) - 6;
            if !(0..=11).contains(&grade_age) {
                continue;
            }
            let grade_index = grade_age as usize;
            if grade_index >= 10 && rng.gen_bool(0.15) {
                continue; // left school after 初中
            }
            let household = &self.households[p.household];
            let town = &self.places.towns[self.places.villages[household.res_village].town];
            let school = if grade_index < 6 {
                if town.kind == TownKind::Street {
                    if rng.gen_bool(0.5) {
                        "护苗县实验小学".to_string()
                    } else {
                        format!("护苗县{}小学", town.short())
                    }
                } else {
                    format!("护苗县{}中心小学", town.short())
                }
            } else if grade_index < 9 {
                if town.kind == TownKind::Street {
                    "护苗县城关中学".to_string()
                } else {
                    format!("护苗县{}初级中学", town.short())
                }
            } else {
                let roll: f64 = rng.gen();
                if roll < 0.6 {
                    "护苗县第一中学".to_string()
                } else if roll < 0.85 {
                    "护苗县第二中学".to_string()
                } else {
                    "护苗县职业技术学校".to_string()
                }
            };
            let roll: f64 = rng.gen();
            let id_quality = if roll < 0.05 {
                StudentId::Empty
            } else if roll < 0.06 {
                StudentId::Mistyped
            } else {
                StudentId::Correct
            };
            let id = p.id.as_str();
            let id_text = match id_quality {
                StudentId::Correct => id.to_string(),
                StudentId::Empty => String::new(),
                StudentId::Mistyped => {
                    let mut bytes = id.as_bytes().to_vec();
                    let pos = rng.gen_range(6..17);
                    let delta = rng.gen_range(1..10u8);
                    bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
                    String::from_utf8(bytes).unwrap_or_default()
                }
            };
            let student_no = match id_quality {
                StudentId::Empty => format!(
                    "L{}{:04}",
                    p.birth.format("%Y%m%d"),
                    rng.gen_range(0..10_000u32)
                ),
                _ => format!("G{id_text}"),
            };
            let (name, traditional) = match to_traditional(&p.name) {
                Some(t) if rng.gen_bool(0.04) => (t, true),
                _ => (p.name.clone(), false),
            };
            let birth_as_text = rng.gen_bool(0.2);
            let carer = self.carer(rng, child);
            let guardian_name = carer
                .map(|g| self.persons[g].name.clone())
                .unwrap_or_default();
            let phone = format!(
                "{}0000{:04}",
                ["139", "138", "137"][rng.gen_range(0..3)],
                rng.gen_range(0..10_000u32)
            );
            let address = household.res_address.clone();
            self.students.push(Student {
                child,
                student_no,
                id_text,
                id_quality,
                name,
                traditional,
                birth_as_text,
                school,
                grade_index,
                guardian_name,
                phone,
                address,
            });
        }
        self.students.sort_by(|a, b| {
            (&a.school, a.grade_index, &a.student_no).cmp(&(
                &b.school,
                b.grade_index,
                &b.student_no,
            ))
        });
    }

    /// Damages the register rows of up to three children without any scenario.
    pub(crate) fn damage_register(&mut self, rng: &mut ChaCha8Rng, untouched: &[usize]) {
        let mut pool = untouched.to_vec();
        pool.shuffle(rng);
        let kinds = [
            RegisterDamage::BadBirthDate,
            RegisterDamage::BadCheckChar,
            RegisterDamage::ShortId,
        ];
        self.register_damage = pool.into_iter().zip(kinds).collect();
        self.register_damage.sort_by_key(|(p, _)| *p);
    }

    /// Lives at the household's residence: alive, not missing and not registered as away. The
    /// register writes a residence grid (and address) only for these.
    pub(crate) fn present(&self, p: usize) -> bool {
        let person = &self.persons[p];
        person.status == Status::Normal && person.outflow.is_none()
    }

    /// Present, in a household living in another village than its registration (人户分离).
    pub(crate) fn lives_away(&self, p: usize) -> bool {
        let hh = &self.households[self.persons[p].household];
        self.present(p) && hh.res_village != hh.village
    }

    /// The 居住登记日期 the register gives a person living away: the household's, or the
    /// person's birth date when born there later; `None` when not away or the date is missing.
    pub(crate) fn residence_since(&self, p: usize) -> Option<NaiveDate> {
        if !self.lives_away(p) {
            return None;
        }
        let person = &self.persons[p];
        self.households[person.household]
            .res_since
            .map(|d| d.max(person.birth))
    }

    pub(crate) fn hukou_village(&self, p: usize) -> usize {
        self.households[self.persons[p].household].village
    }

    pub(crate) fn is_child(&self, p: usize) -> bool {
        self.persons[p].role == Role::Child
    }
}

pub(crate) const GRADES: [&str; 12] = [
    "一年级",
    "二年级",
    "三年级",
    "四年级",
    "五年级",
    "六年级",
    "七年级",
    "八年级",
    "九年级",
    "高一",
    "高二",
    "高三",
];

/// Whose parents [`World::add_elders`] adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElderSide {
    /// The father's parents, in the child's own household.
    Paternal,
    /// A local mother's parents, in a household of their own.
    Maternal,
}
