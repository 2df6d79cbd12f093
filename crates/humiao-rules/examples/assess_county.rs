//! Throughput of the national pack on a synthetic county held in memory:
//! `cargo run --release -p humiao-rules --example assess_county -- 600000`.
//! Prints children per second and the time for one child; the benchmark proper (with a peer) is
//! still to come (issue 5).

use std::time::Instant;

use chrono::NaiveDate;
use humiao_core::fact::{Fact, FactKind};
use humiao_core::person::{Person, PersonId, PersonName, SourceRecordId};
use humiao_core::policy::{ChildCase, ParentFacts};
use humiao_core::records::{AssistanceType, CustodyMeasure, DisabilityCategory};
use humiao_core::Sex;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(600_000);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let d = |days: u64| {
        NaiveDate::from_ymd_opt(2008, 1, 1).unwrap() + chrono::Duration::days(days as i64)
    };
    let fact = |kind: FactKind, from: NaiveDate, to: Option<NaiveDate>, s: i64| Fact {
        person: PersonId(s),
        kind,
        valid_from: Some(from),
        valid_to: to,
        source: SourceRecordId(s),
    };
    let started = Instant::now();
    let mut children = Vec::with_capacity(n);
    let mut families: Vec<(Vec<Fact>, Vec<Fact>, Vec<Fact>)> = Vec::with_capacity(n);
    for i in 0..n {
        children.push(Person {
            id: PersonId(i as i64),
            citizen_id: None,
            name: PersonName::parse("测试儿童").unwrap(),
            sex: if next() % 2 == 0 {
                Sex::Male
            } else {
                Sex::Female
            },
            birth_date: d(next() % 6900),
            hukou_region: None,
            hukou_address: None,
            residence_grid: None,
            residence_address: None,
            household_no: None,
        });
        let mut parent = |s: i64| {
            let mut facts = Vec::new();
            match next() % 100 {
                0..=1 => facts.push(fact(FactKind::Death, d(next() % 6000), None, s)),
                2..=3 => facts.push(fact(
                    FactKind::Custody {
                        measure: CustodyMeasure::Imprisonment,
                    },
                    d(next() % 6000),
                    Some(d(6000 + next() % 2000)),
                    s,
                )),
                4 => facts.push(fact(
                    FactKind::Disability {
                        category: DisabilityCategory::Physical,
                        grade: (next() % 4 + 1) as u8,
                    },
                    d(next() % 6000),
                    None,
                    s,
                )),
                5..=30 => facts.push(fact(
                    FactKind::WorksAway { destination: None },
                    d(next() % 6000),
                    None,
                    s,
                )),
                _ => {}
            }
            facts
        };
        let father = parent(2 * i as i64);
        let mother = parent(2 * i as i64 + 1);
        let mut own = Vec::new();
        if next() % 50 == 0 {
            own.push(fact(
                FactKind::Payment {
                    assistance: AssistanceType::OrphanAllowance,
                    amount_fen: 162_000,
                },
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 10, 31),
                i as i64,
            ));
        }
        families.push((own, father, mother));
    }
    eprintln!(
        "generated {n} children in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    let pack = humiao_rules::national();
    let params = pack.parameter_values(as_of);
    let started = Instant::now();
    let mut decided = 0usize;
    for (child, (own, father, mother)) in children.iter().zip(&families) {
        let case = ChildCase {
            child,
            child_facts: own,
            father: Some(ParentFacts { facts: father }),
            mother: Some(ParentFacts { facts: mother }),
            registered_rural: child.id.0 % 3 == 0,
        };
        decided += pack.assess_with(&case, as_of, &params).decisions.len();
    }
    let all = started.elapsed().as_secs_f64();
    let one = {
        let (own, father, mother) = &families[0];
        let case = ChildCase {
            child: &children[0],
            child_facts: own,
            father: Some(ParentFacts { facts: father }),
            mother: Some(ParentFacts { facts: mother }),
            registered_rural: true,
        };
        let t = Instant::now();
        for _ in 0..1000 {
            std::hint::black_box(pack.assess(&case, as_of));
        }
        t.elapsed().as_secs_f64() / 1000.0
    };
    println!(
        "{n} children assessed in {all:.2}s ({:.0}/s, one thread), {decided} decisions; one child {:.1} µs",
        n as f64 / all,
        one * 1e6
    );
}
