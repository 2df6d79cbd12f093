//! A deterministic synthetic county for the rules benchmark: children with both parents known
//! and the facts departments would give (deaths, custody, disability, illness, work away,
//! divorce, enrolment, allowances, 低保).

use chrono::{Datelike, NaiveDate};
use humiao_core::fact::{Fact, FactKind};
use humiao_core::person::{Person, PersonId, PersonName, SourceRecordId};
use humiao_core::records::{AssistanceType, CustodyMeasure, DisabilityCategory, DivorceChannel};
use humiao_core::{RegionCode, Sex};

const HOME_VILLAGE: &str = "330212001001";
const HOME_GRID: &str = "330212001001001";
const AWAY_GRID: &str = "330212002003001";

pub struct Child {
    pub person: Person,
    pub own: Vec<Fact>,
    pub father: Vec<Fact>,
    pub mother: Vec<Fact>,
    pub rural: bool,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

pub fn generate(children: usize, seed: u64, as_of: NaiveDate) -> Vec<Child> {
    let mut rng = Rng(seed | 1);
    let day = |d: i64| as_of - chrono::Duration::days(d);
    let mut source = 0i64;
    let mut out = Vec::with_capacity(children);
    for i in 0..children {
        let mut fact = |person: i64, kind: FactKind, from: NaiveDate, to: Option<NaiveDate>| {
            source += 1;
            Fact {
                person: PersonId(person),
                kind,
                valid_from: Some(from),
                valid_to: to,
                source: SourceRecordId(source),
            }
        };
        let age_days = rng.below(18 * 365) as i64 + 30;
        let birth = day(age_days);
        let age = age_days / 365;
        let child_id = 3 * i as i64;
        let mut own = Vec::new();
        if (7..=15).contains(&age) && !rng.chance(15) {
            own.push(fact(
                child_id,
                FactKind::Enrolment {
                    school: "护苗县实验学校".into(),
                    grade: None,
                },
                day(rng.below(2000) as i64 + 200),
                None,
            ));
        }
        if rng.chance(8) {
            own.push(fact(
                child_id,
                FactKind::Disability {
                    category: DisabilityCategory::Intellectual,
                    grade: (rng.below(4) + 1) as u8,
                },
                day(rng.below(age_days as u64) as i64),
                None,
            ));
        }
        if rng.chance(5) {
            own.push(fact(
                child_id,
                FactKind::SeriousIllness {
                    illness: "白血病".into(),
                },
                day(rng.below(900) as i64),
                None,
            ));
        }
        let mut parent = |rng: &mut Rng, id: i64| {
            let mut facts = Vec::new();
            let mut f = |kind, from, to| facts.push(fact(id, kind, from, to));
            match rng.below(1000) {
                0..=14 => f(FactKind::Death, day(rng.below(4000) as i64), None),
                15..=29 => {
                    let start = rng.below(3000) as i64;
                    let length = rng.below(3000) as i64 + 30;
                    f(
                        FactKind::Custody {
                            measure: if rng.chance(800) {
                                CustodyMeasure::Imprisonment
                            } else {
                                CustodyMeasure::DrugRehabilitation
                            },
                        },
                        day(start),
                        Some(day(start - length)),
                    )
                }
                30..=36 => f(FactKind::Missing, day(rng.below(2000) as i64), None),
                37..=46 => f(
                    FactKind::Disability {
                        category: if rng.chance(500) {
                            DisabilityCategory::Physical
                        } else {
                            DisabilityCategory::Mental
                        },
                        grade: (rng.below(4) + 1) as u8,
                    },
                    day(rng.below(5000) as i64),
                    None,
                ),
                47..=52 => f(
                    FactKind::SeriousIllness {
                        illness: "尿毒症".into(),
                    },
                    day(rng.below(1500) as i64),
                    None,
                ),
                53..=300 => f(
                    FactKind::WorksAway { destination: None },
                    day(rng.below(3000) as i64),
                    None,
                ),
                _ => {}
            }
            if rng.chance(40) {
                f(
                    FactKind::Divorce {
                        channel: DivorceChannel::Registration,
                    },
                    day(rng.below(3000) as i64),
                    None,
                );
            }
            if rng.chance(35) {
                let month = as_of
                    .checked_sub_months(chrono::Months::new(1))
                    .unwrap()
                    .with_day0(0)
                    .unwrap();
                f(
                    FactKind::Payment {
                        assistance: if rng.chance(150) {
                            AssistanceType::Tekun
                        } else {
                            AssistanceType::Dibao
                        },
                        amount_fen: 80_000,
                    },
                    month,
                    month
                        .checked_add_months(chrono::Months::new(1))
                        .and_then(|d| d.pred_opt()),
                );
            }
            facts
        };
        let father = parent(&mut rng, child_id + 1);
        let mother = parent(&mut rng, child_id + 2);
        // Allowances for some children: most entitled ones, and a few no longer entitled.
        if rng.chance(25) {
            let month = as_of
                .checked_sub_months(chrono::Months::new(1 + rng.below(4) as u32))
                .unwrap()
                .with_day0(0)
                .unwrap();
            own.push(fact(
                child_id,
                FactKind::Payment {
                    assistance: if rng.chance(500) {
                        AssistanceType::OrphanAllowance
                    } else {
                        AssistanceType::UnsupportedChildAllowance
                    },
                    amount_fen: 162_000,
                },
                month,
                month
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.pred_opt()),
            ));
        }
        // 人户分离 for one child in five: most registered as living away for a while, some
        // recently, some without a 居住登记 date.
        let away = rng.chance(200);
        if away && !rng.chance(100) {
            own.push(fact(
                child_id,
                FactKind::LivesAway,
                day(rng.below(age_days.min(2000) as u64) as i64),
                None,
            ));
        }
        out.push(Child {
            person: Person {
                id: PersonId(child_id),
                citizen_id: None,
                name: PersonName::parse("测试儿童").expect("valid"),
                sex: if rng.chance(500) {
                    Sex::Male
                } else {
                    Sex::Female
                },
                birth_date: birth,
                hukou_region: RegionCode::parse(HOME_VILLAGE).ok(),
                hukou_address: None,
                residence_grid: RegionCode::parse(if away { AWAY_GRID } else { HOME_GRID }).ok(),
                residence_address: None,
                household_no: None,
            },
            own,
            father,
            mother,
            rural: rng.chance(450),
        });
    }
    out
}
