//! Unit tests over the in-memory world: IDs, and the ground truth against the policy engine.

use chrono::NaiveDate;
use humiao_core::fact::{Fact, FactKind};
use humiao_core::policy::{Category, ChildCase, ParentFacts};
use humiao_core::{CitizenId, Person, PersonId, PersonName, RegionCode, SourceRecordId};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::{add_months, OutflowReason, Status, World};
use crate::rules;

fn world(seed: u64, children: usize, as_of: NaiveDate) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    World::generate(&mut rng, children, as_of)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn fact(kind: FactKind, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Fact {
    Fact {
        person: PersonId(0),
        kind,
        valid_from: from,
        valid_to: to,
        source: SourceRecordId(0),
    }
}

fn facts_of(w: &World, p: usize) -> Vec<Fact> {
    let person = &w.persons[p];
    let mut out = Vec::new();
    match person.status {
        Status::Normal => {}
        Status::Dead(d) => out.push(fact(FactKind::Death, Some(d), None)),
        Status::Missing(d) => out.push(fact(FactKind::Missing, Some(d), None)),
    }
    for s in &person.custody {
        out.push(fact(
            FactKind::Custody { measure: s.measure },
            Some(s.start),
            s.end,
        ));
    }
    if let Some(i) = person.illness {
        out.push(fact(
            FactKind::SeriousIllness {
                illness: i.name.to_string(),
            },
            Some(i.diagnosed),
            i.ended,
        ));
    }
    // The register writes a residence grid (and, living away, the 居住登记 date) for persons at
    // home; a grid in another village than the registration is 人户分离.
    if w.lives_away(p) {
        out.push(fact(FactKind::LivesAway, w.residence_since(p), None));
    }
    if let Some(d) = person.disability {
        out.push(fact(
            FactKind::Disability {
                category: d.category,
                grade: d.grade,
            },
            Some(d.issued),
            None,
        ));
    }
    if let Some(o) = &person.outflow {
        if o.reason == OutflowReason::Work && person.status == Status::Normal {
            out.push(fact(
                FactKind::WorksAway {
                    destination: Some(o.destination.to_string()),
                },
                Some(o.since),
                None,
            ));
        }
    }
    for pay in w.payments.iter().filter(|pay| pay.person == p) {
        out.push(fact(
            FactKind::Payment {
                assistance: pay.assistance,
                amount_fen: pay.amount_fen,
            },
            Some(pay.month),
            add_months(pay.month, 1).pred_opt(),
        ));
    }
    out
}

fn engine_categories(w: &World, child: usize) -> Vec<Category> {
    let c = &w.persons[child];
    let hh = &w.households[c.household];
    let village = &w.places.villages[hh.village];
    let person = Person {
        id: PersonId(child as i64),
        citizen_id: Some(c.id.clone()),
        name: PersonName::parse(&c.name).unwrap(),
        sex: c.sex,
        birth_date: c.birth,
        hukou_region: Some(RegionCode::parse(&village.code).unwrap()),
        hukou_address: None,
        residence_grid: w.present(child).then(|| {
            let res = &w.places.villages[hh.res_village];
            RegionCode::parse(&res.grids[hh.res_grid].code).unwrap()
        }),
        residence_address: None,
        household_no: Some(hh.no.clone()),
    };
    let child_facts = facts_of(w, child);
    let father = facts_of(w, c.father.unwrap());
    let mother = facts_of(w, c.mother.unwrap());
    let household: Vec<Fact> = hh.members.iter().flat_map(|&m| facts_of(w, m)).collect();
    let case = ChildCase {
        child: &person,
        child_facts: &child_facts,
        father: Some(ParentFacts { facts: &father }),
        mother: Some(ParentFacts { facts: &mother }),
        registered_rural: village.rural,
        household: Some(&household),
        observations: &[],
    };
    let mut out: Vec<Category> = national_pack().assess(&case, w.as_of).categories();
    out.sort();
    out
}

/// The shipped national rule pack, compiled once.
fn national_pack() -> &'static humiao_rules::RulePack {
    static PACK: std::sync::OnceLock<humiao_rules::RulePack> = std::sync::OnceLock::new();
    PACK.get_or_init(humiao_rules::national)
}

#[test]
fn ground_truth_agrees_with_the_policy_engine() {
    for (seed, as_of) in [
        (1, date(2026, 11, 1)),
        (2, date(2026, 3, 31)),
        (3, date(2028, 2, 29)),
        (4, date(2027, 8, 31)),
    ] {
        let w = world(seed, 1500, as_of);
        let mut checked = 0;
        for child in (0..w.persons.len()).filter(|&p| w.is_child(p)) {
            let mut ours = rules::categories(&w, child);
            ours.sort();
            assert_eq!(
                ours,
                engine_categories(&w, child),
                "seed {seed}, as_of {as_of}, child {} ({:?})",
                w.persons[child].name,
                w.families[w.persons[child].family].primary
            );
            checked += 1;
        }
        assert!(checked >= 1500);
    }
}

#[test]
fn every_person_has_a_unique_valid_id_matching_sex_and_birth() {
    let w = world(9, 2000, date(2026, 11, 1));
    let mut seen = std::collections::BTreeSet::new();
    for p in &w.persons {
        let parsed = CitizenId::parse(p.id.as_str()).unwrap();
        assert_eq!(parsed.sex(), p.sex);
        assert_eq!(parsed.birth_date(), p.birth);
        assert!(seen.insert(p.id.as_str().to_string()));
        PersonName::parse(&p.name).unwrap();
    }
    let children = w
        .persons
        .iter()
        .filter(|p| p.role == crate::model::Role::Child)
        .count();
    assert_eq!(children, 2000);
}

#[test]
fn households_and_grids_point_into_the_county() {
    let w = world(5, 800, date(2026, 11, 1));
    for hh in &w.households {
        let v = &w.places.villages[hh.res_village];
        let grid = RegionCode::parse(&v.grids[hh.res_grid].code).unwrap();
        assert_eq!(grid.level(), humiao_core::RegionLevel::Grid);
        assert!(!hh.members.is_empty());
    }
    for p in 0..w.persons.len() {
        assert!(w.households[w.persons[p].household].members.contains(&p));
    }
}

#[test]
fn every_new_category_is_well_populated_in_1500_children() {
    use std::collections::BTreeMap;
    for (seed, as_of) in [(1, date(2026, 11, 1)), (3, date(2028, 2, 29))] {
        let w = world(seed, 1500, as_of);
        let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
        let kids: Vec<usize> = (0..w.persons.len()).filter(|&p| w.is_child(p)).collect();
        for &c in &kids {
            for cat in rules::categories(&w, c) {
                *counts.entry(cat).or_default() += 1;
            }
        }
        let count = |c: Category| counts.get(&c).copied().unwrap_or(0);
        let at_least = [
            (Category::AssistanceFamily, 30),
            (Category::DifficultyPoverty, 30),
            (Category::DisabledChild, 15),
            (Category::SeriouslyIll, 8),
            (Category::DifficultyDisability, 12),
            (Category::DifficultyGuardianship, 25),
            (Category::PrisonersChild, 15),
            (Category::Migrant, 30),
        ];
        for (c, min) in at_least {
            assert!(count(c) >= min, "seed {seed}: {c:?} {} < {min}", count(c));
        }
        assert_eq!(
            count(Category::DifficultyPoverty),
            count(Category::AssistanceFamily)
        );
        assert_eq!(
            count(Category::DifficultyGuardianship),
            count(Category::Orphan) + count(Category::DeFactoUnsupported)
        );

        // Parents' illnesses decide some 事实无人抚养 and 农村留守 children: without the
        // illness the child would not be in the category.
        let ill_parent = |c: usize| {
            let p = &w.persons[c];
            [p.father, p.mother]
                .into_iter()
                .flatten()
                .any(|q| rules::seriously_ill(&w.persons[q], as_of))
        };
        let mut healed = World::generate(&mut ChaCha8Rng::seed_from_u64(seed), 1500, as_of);
        for p in &mut healed.persons {
            p.illness = None;
        }
        let by_illness = |cat: Category| {
            kids.iter()
                .filter(|&&c| {
                    ill_parent(c)
                        && rules::base_categories(&w, c).contains(&cat)
                        && !rules::base_categories(&healed, c).contains(&cat)
                })
                .count()
        };
        assert!(by_illness(Category::DeFactoUnsupported) >= 3, "seed {seed}");
        assert!(by_illness(Category::RuralLeftBehind) >= 2, "seed {seed}");

        // Some children live away under 6 months, some without a date: not 流动儿童.
        let away: Vec<usize> = kids
            .iter()
            .copied()
            .filter(|&c| rules::is_minor(&w.persons[c], &w) && w.lives_away(c))
            .collect();
        let not_migrant = away.iter().filter(|&&c| !rules::migrant(&w, c)).count();
        let undated = away
            .iter()
            .filter(|&&c| w.residence_since(c).is_none())
            .count();
        assert!(not_migrant >= 8, "seed {seed}: {not_migrant}");
        assert!(undated >= 2, "seed {seed}: {undated}");
        let (exact, short) = crate::extras::six_month_line(as_of);
        assert!(away
            .iter()
            .any(|&c| w.residence_since(c) == Some(exact) && rules::migrant(&w, c)));
        assert!(away
            .iter()
            .any(|&c| w.residence_since(c) == Some(short) && !rules::migrant(&w, c)));
        // 特困 is paid to a few families.
        assert!(w
            .payments
            .iter()
            .any(|p| p.assistance == humiao_core::records::AssistanceType::Tekun));
    }
}

#[test]
fn illnesses_are_dated_sensibly() {
    let as_of = date(2026, 11, 1);
    let w = world(6, 1500, as_of);
    let mut children = 0;
    let mut cured = 0;
    for p in &w.persons {
        let Some(i) = p.illness else { continue };
        assert!(i.diagnosed >= p.birth && i.diagnosed < as_of, "{}", p.name);
        if let Some(e) = i.ended {
            assert!(e > i.diagnosed && e < as_of);
            cured += 1;
        }
        if p.role == crate::model::Role::Child {
            children += 1;
        }
    }
    assert!((12..=20).contains(&children), "{children}");
    assert!(cured >= 3, "{cured}");
}
