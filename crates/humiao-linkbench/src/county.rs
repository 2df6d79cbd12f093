//! The true county: households of persons with names, sexes, birth dates, citizen IDs,
//! registered (户籍) and actual (居住) addresses, and parents. One household at a time, so
//! that a million persons never sit in memory together.
//!
//! Nothing here is noisy: this is the ground truth that departments then record badly
//! ([`crate::departments`]).

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rustc_hash::FxHashMap;

use crate::citizen_id;
use crate::names::{NameBook, Sex};
use crate::places::{Address, COUNTY_ID_REGION, OTHER_ID_REGIONS};

/// The day the department extracts are taken; ages are computed on it.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date")
}

/// A parent as a child's records name them.
#[derive(Debug, Clone)]
pub struct Kin {
    pub surname: &'static str,
    pub given: String,
    /// Known when the parent lives in the county (clerks sometimes type it on the child's
    /// record).
    pub citizen_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Person {
    /// Ground-truth person number (`P0000001` in truth files).
    pub number: u64,
    pub surname: &'static str,
    pub given: String,
    pub sex: Sex,
    pub birth: NaiveDate,
    pub citizen_id: String,
    /// Whether the birth has been registered with the police yet (newborns may not be).
    pub registered: bool,
    /// 户籍地址
    pub hukou: Address,
    /// Where the person actually lives; differs from `hukou` for 人户分离.
    pub residence: Address,
    /// The home before a recent move, which slow departments still have on file.
    pub previous_residence: Option<Address>,
    pub father: Option<Kin>,
    pub mother: Option<Kin>,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{}{}", self.surname, self.given)
    }

    pub fn age(&self) -> i32 {
        age_on(self.birth, as_of())
    }

    pub fn as_kin(&self) -> Kin {
        Kin {
            surname: self.surname,
            given: self.given.clone(),
            citizen_id: self.registered.then(|| self.citizen_id.clone()),
        }
    }

    pub fn lives_away_from_hukou(&self) -> bool {
        !self.residence.same_village(&self.hukou)
    }
}

/// Whole years between `birth` and `day`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[derive(Debug, Clone)]
pub struct Household {
    pub members: Vec<Person>,
    /// Receives civil-affairs assistance (低保/救助).
    pub assisted: bool,
}

/// Builds households one after another; holds only what must stay unique across the county.
pub struct CountyBuilder {
    names: NameBook,
    /// Next sequence per (region, birth day, sex): citizen IDs are unique.
    sequences: FxHashMap<(u8, i32, bool), u16>,
    next_number: u64,
    /// Building a household that arrives from elsewhere: nobody was born in the county.
    newcomers: bool,
}

impl Default for CountyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// A birth date for someone aged `min..=max` whole years on [`as_of`].
fn birth_aged<R: Rng>(min: i32, max: i32, rng: &mut R) -> NaiveDate {
    let latest = as_of() - Duration::days(i64::from(min) * 365);
    let span = i64::from(max - min + 1) * 365 + i64::from((max - min + 1) / 4);
    latest - Duration::days(rng.gen_range(0..span))
}

impl CountyBuilder {
    pub fn new() -> Self {
        Self {
            names: NameBook::new(),
            sequences: FxHashMap::default(),
            next_number: 1,
            newcomers: false,
        }
    }

    /// The number the next person will get.
    pub fn next_number(&self) -> u64 {
        self.next_number
    }

    /// Continues numbering at `number` (new arrivals after the county's persons).
    pub fn set_next_number(&mut self, number: u64) {
        self.next_number = number;
    }

    pub fn names(&self) -> &NameBook {
        &self.names
    }

    fn citizen_id<R: Rng>(
        &mut self,
        birth: NaiveDate,
        sex: Sex,
        born_here: bool,
        rng: &mut R,
    ) -> String {
        let region = if born_here && !self.newcomers {
            0
        } else {
            rng.gen_range(1..=OTHER_ID_REGIONS.len() as u8)
        };
        let code = if region == 0 {
            COUNTY_ID_REGION
        } else {
            OTHER_ID_REGIONS[usize::from(region) - 1]
        };
        let male = sex == Sex::Male;
        let day = birth.num_days_from_ce();
        let next = self
            .sequences
            .entry((region, day, male))
            .or_insert_with(|| rng.gen_range(0..40));
        // Sequences 000–999; the last digit is odd for men, even for women. A region has far
        // fewer than 500 births of one sex a day, so IDs never repeat.
        let sequence = (*next % 500) * 2 + u16::from(male);
        *next += 1;
        citizen_id::build(code, birth, sequence)
    }

    fn person<R: Rng>(
        &mut self,
        surname: &'static str,
        sex: Sex,
        birth: NaiveDate,
        home: Address,
        born_here: bool,
        rng: &mut R,
    ) -> Person {
        let given = self.names.given(sex, birth, rng);
        let citizen_id = self.citizen_id(birth, sex, born_here, rng);
        let number = self.next_number;
        self.next_number += 1;
        // A baby's birth is registered within weeks; some in the extract are not yet.
        let registered =
            age_on(birth, as_of()) > 0 || (as_of() - birth).num_days() > 60 || rng.gen_bool(0.5);
        Person {
            number,
            surname,
            given,
            sex,
            birth,
            citizen_id,
            registered,
            hukou: home,
            residence: home,
            previous_residence: None,
            father: None,
            mother: None,
        }
    }

    fn adult<R: Rng>(
        &mut self,
        sex: Sex,
        min: i32,
        max: i32,
        home: Address,
        rng: &mut R,
    ) -> Person {
        let surname = self.names.surname(rng);
        let birth = birth_aged(min, max, rng);
        let born_here = rng.gen_bool(0.8);
        self.person(surname, sex, birth, home, born_here, rng)
    }

    /// A couple: the man aged `min..=max`, the woman a few years younger or older.
    fn couple<R: Rng>(
        &mut self,
        min: i32,
        max: i32,
        home: Address,
        rng: &mut R,
    ) -> (Person, Person) {
        let husband = self.adult(Sex::Male, min, max, home, rng);
        let wife_age = (husband.age() - rng.gen_range(-2..=5)).max(20);
        let wife = self.adult(Sex::Female, wife_age, wife_age, home, rng);
        (husband, wife)
    }

    /// Children of `mother` (and `father`), born when she was 21–40 and before [`as_of`]; twins
    /// are about 1% of births. Siblings never share a given name.
    fn children<R: Rng>(
        &mut self,
        count: usize,
        father: Option<&Person>,
        mother: &Person,
        other_parent: Option<Kin>,
        rng: &mut R,
    ) -> Vec<Person> {
        let mut out: Vec<Person> = Vec::new();
        let surname = match father {
            Some(f) if rng.gen_bool(0.92) => f.surname,
            _ => match &other_parent {
                Some(k) if rng.gen_bool(0.9) => k.surname,
                _ => mother.surname,
            },
        };
        for _ in 0..count {
            let at_age = rng.gen_range(21..=40);
            let birth = mother.birth + Duration::days(at_age * 365 + rng.gen_range(0..365));
            if birth > as_of() || out.iter().any(|c| (c.birth - birth).num_days().abs() < 300) {
                continue;
            }
            let twins = if rng.gen_bool(0.01) { 2 } else { 1 };
            for t in 0..twins {
                let sex = if rng.gen_bool(0.51) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let mut child = self.person(surname, sex, birth, mother.hukou, true, rng);
                if t == 1 {
                    let sibling = out.last().map(|s| s.given.clone()).unwrap_or_default();
                    child.given = self.names.twin_given(&sibling, sex, birth, rng);
                }
                while out.iter().any(|s| s.given == child.given) {
                    child.given = self.names.given(sex, birth, rng);
                }
                child.father = father.map(Person::as_kin).or_else(|| other_parent.clone());
                child.mother = Some(mother.as_kin());
                out.push(child);
            }
        }
        out
    }

    /// The next household: 2–6 members, by the shares of household kinds in a Chinese county.
    pub fn household<R: Rng>(&mut self, rng: &mut R) -> Household {
        let home = Address::random(rng);
        let mut members: Vec<Person> = Vec::with_capacity(6);
        match rng.gen_range(0..100) {
            // Parents and 1–3 children, sometimes with the husband's parents.
            0..=44 => {
                let (father, mother) = self.couple(24, 55, home, rng);
                let count = [1, 1, 1, 2, 2, 2, 2, 3][rng.gen_range(0..8)];
                let kids = self.children(count, Some(&father), &mother, None, rng);
                let elders = if rng.gen_bool(0.22) {
                    self.elders_of(&father, rng)
                } else {
                    Vec::new()
                };
                members.push(father);
                members.push(mother);
                members.extend(kids);
                members.extend(elders);
            }
            // A couple without children at home: newly married, or the nest is empty.
            45..=54 => {
                let (a, b) = if rng.gen_bool(0.5) {
                    self.couple(22, 34, home, rng)
                } else {
                    self.couple(48, 70, home, rng)
                };
                members.push(a);
                members.push(b);
            }
            // Elderly: a couple, or a widow(er) with the adult child who looks after them.
            55..=66 => {
                if rng.gen_bool(0.75) {
                    let (a, b) = self.couple(60, 90, home, rng);
                    members.push(a);
                    members.push(b);
                } else {
                    let sex = if rng.gen_bool(0.65) {
                        Sex::Female
                    } else {
                        Sex::Male
                    };
                    let elder = self.adult(sex, 68, 90, home, rng);
                    let mut carer = self.adult(Sex::Male, 35, 60, home, rng);
                    carer.surname = elder.surname;
                    if sex == Sex::Female {
                        carer.mother = Some(elder.as_kin());
                    } else {
                        carer.father = Some(elder.as_kin());
                    }
                    members.push(elder);
                    members.push(carer);
                }
            }
            // A single parent (mostly mothers); the other parent lives elsewhere.
            67..=73 => {
                let mother_alone = rng.gen_bool(0.75);
                let (father, mother) = self.couple(26, 50, home, rng);
                let absent_father = Kin {
                    surname: father.surname,
                    given: father.given.clone(),
                    citizen_id: None,
                };
                let count = [1, 1, 2][rng.gen_range(0..3)];
                if mother_alone {
                    let kids = self.children(count, None, &mother, Some(absent_father), rng);
                    members.push(mother);
                    members.extend(kids);
                } else {
                    let mut kids = self.children(count, Some(&father), &mother, None, rng);
                    for k in &mut kids {
                        if let Some(m) = &mut k.mother {
                            m.citizen_id = None;
                        }
                    }
                    members.push(father);
                    members.extend(kids);
                }
            }
            // Three generations: grandparents, their son's family.
            74..=89 => {
                let (mut son, wife) = self.couple(24, 45, home, rng);
                let elders = self.elders_of(&son, rng);
                for e in &elders {
                    match e.sex {
                        Sex::Male => son.father = Some(e.as_kin()),
                        Sex::Female => son.mother = Some(e.as_kin()),
                    }
                }
                let count = [1, 1, 2][rng.gen_range(0..3)];
                let kids = self.children(count, Some(&son), &wife, None, rng);
                members.extend(elders);
                members.push(son);
                members.push(wife);
                members.extend(kids);
            }
            // Parents with grown children still at home.
            _ => {
                let (father, mother) = self.couple(45, 70, home, rng);
                let count = [1, 2][rng.gen_range(0..2)];
                let kids: Vec<Person> = self
                    .children(count, Some(&father), &mother, None, rng)
                    .into_iter()
                    .filter(|k| k.age() >= 16)
                    .collect();
                members.push(father);
                members.push(mother);
                members.extend(kids);
            }
        }
        members.truncate(6);
        if members.len() == 1 {
            // A household of one is rare in the registers we model; give them a partner.
            let partner = match members[0].sex {
                Sex::Male => self.adult(Sex::Female, 20, 80, home, rng),
                Sex::Female => self.adult(Sex::Male, 20, 80, home, rng),
            };
            members.push(partner);
        }
        self.place(&mut members, home, rng);
        Household {
            assisted: rng.gen_bool(0.10),
            members,
        }
    }

    /// One or both parents of `adult` (his surname for the father), aged accordingly.
    fn elders_of<R: Rng>(&mut self, adult: &Person, rng: &mut R) -> Vec<Person> {
        let age = (adult.age() + rng.gen_range(22..=35)).min(92);
        if age > 90 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let home = adult.hukou;
        if rng.gen_bool(0.7) {
            let mut father = self.adult(Sex::Male, age, age, home, rng);
            father.surname = adult.surname;
            out.push(father);
        }
        if out.is_empty() || rng.gen_bool(0.7) {
            let mother_age = age - rng.gen_range(0..=4);
            out.push(self.adult(Sex::Female, mother_age, mother_age, home, rng));
        }
        out
    }

    /// Where members actually live: whole households away from their hukou (12%), single
    /// young adults working elsewhere in the county, and recent moves (12% of households).
    fn place<R: Rng>(&mut self, members: &mut [Person], home: Address, rng: &mut R) {
        let residence = if rng.gen_bool(0.12) {
            Address::random(rng)
        } else {
            home
        };
        let moved_from = rng.gen_bool(0.12).then(|| {
            if rng.gen_bool(0.5) {
                residence.nearby(rng)
            } else {
                Address::random(rng)
            }
        });
        for m in members.iter_mut() {
            m.residence = residence;
            m.previous_residence = moved_from;
            let age = m.age();
            if (18..=40).contains(&age) && rng.gen_bool(0.10) {
                m.residence = Address::random(rng);
                m.previous_residence = Some(residence);
            }
        }
    }

    /// A baby born in the last month to `mother` (and `father`), for the daily batch.
    pub fn newborn<R: Rng>(
        &mut self,
        father: Option<&Person>,
        mother: &Person,
        rng: &mut R,
    ) -> Person {
        let birth = as_of() - Duration::days(rng.gen_range(0..30));
        let sex = if rng.gen_bool(0.51) {
            Sex::Male
        } else {
            Sex::Female
        };
        let surname = father.map_or(mother.surname, |f| f.surname);
        let mut baby = self.person(surname, sex, birth, mother.hukou, true, rng);
        baby.registered = rng.gen_bool(0.3);
        baby.residence = mother.residence;
        baby.father = father.map(Person::as_kin);
        baby.mother = Some(mother.as_kin());
        baby
    }

    /// A family newly arrived from elsewhere (their IDs carry other regions), registering a
    /// residence in the county.
    pub fn arrivals<R: Rng>(&mut self, rng: &mut R) -> Household {
        self.newcomers = true;
        let home = Address::random(rng);
        let (father, mother) = self.couple(24, 45, home, rng);
        let count = [0, 1, 1, 2][rng.gen_range(0..4)];
        let kids = self.children(count, Some(&father), &mother, None, rng);
        self.newcomers = false;
        let mut members = vec![father, mother];
        members.extend(kids);
        Household {
            members,
            assisted: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::HashSet;

    #[test]
    fn households_are_plausible_and_ids_unique() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut county = CountyBuilder::new();
        let mut ids = HashSet::new();
        let mut persons = 0;
        let mut away = 0;
        for _ in 0..5_000 {
            let h = county.household(&mut rng);
            assert!((2..=6).contains(&h.members.len()), "{}", h.members.len());
            for p in &h.members {
                assert!(
                    ids.insert(p.citizen_id.clone()),
                    "duplicate {}",
                    p.citizen_id
                );
                assert_eq!(
                    citizen_id::check_char(&p.citizen_id[..17]),
                    p.citizen_id.chars().last().unwrap()
                );
                assert!((0..=92).contains(&p.age()), "{}", p.age());
                if let Some(m) = &p.mother {
                    assert!(!m.given.is_empty());
                }
                persons += 1;
                away += usize::from(p.lives_away_from_hukou());
            }
        }
        let share = away as f64 / persons as f64;
        assert!((0.10..0.20).contains(&share), "人户分离 share {share}");
    }

    #[test]
    fn sex_digit_is_odd_for_men() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut county = CountyBuilder::new();
        for _ in 0..500 {
            for p in county.household(&mut rng).members {
                let digit = p.citizen_id.as_bytes()[16] - b'0';
                assert_eq!(digit % 2 == 1, p.sex == Sex::Male);
            }
        }
    }
}
