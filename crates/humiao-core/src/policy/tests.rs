//! Hand-made families for each rule, condition and boundary.

use chrono::NaiveDate;

use super::*;
use crate::person::{PersonId, PersonName, Sex};
use crate::records::{CustodyMeasure, DisabilityCategory};
use crate::region::RegionCode;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const AS_OF: (i32, u32, u32) = (2026, 11, 22);

fn as_of() -> NaiveDate {
    d(AS_OF.0, AS_OF.1, AS_OF.2)
}

fn child_born(birth: NaiveDate) -> Person {
    Person {
        id: PersonId(1),
        citizen_id: None,
        name: PersonName::parse("王小明").unwrap(),
        sex: Sex::Male,
        birth_date: birth,
        hukou_region: Some(RegionCode::parse("330199001001").unwrap()),
        hukou_address: None,
        residence_grid: None,
        residence_address: None,
        household_no: None,
    }
}

struct Family {
    child: Person,
    child_facts: Vec<Fact>,
    father: Vec<Fact>,
    mother: Vec<Fact>,
    rural: bool,
}

fn fact(kind: FactKind, from: Option<NaiveDate>, to: Option<NaiveDate>, source: i64) -> Fact {
    Fact {
        person: PersonId(source),
        kind,
        valid_from: from,
        valid_to: to,
        source: SourceRecordId(source),
    }
}

fn dead(on: NaiveDate, source: i64) -> Fact {
    fact(FactKind::Death, Some(on), None, source)
}

fn custody(start: NaiveDate, end: Option<NaiveDate>, source: i64) -> Fact {
    fact(
        FactKind::Custody {
            measure: CustodyMeasure::Imprisonment,
        },
        Some(start),
        end,
        source,
    )
}

fn disability(category: DisabilityCategory, grade: u8, source: i64) -> Fact {
    fact(
        FactKind::Disability { category, grade },
        Some(d(2015, 1, 1)),
        None,
        source,
    )
}

fn away(source: i64) -> Fact {
    fact(
        FactKind::WorksAway { destination: None },
        Some(d(2024, 3, 1)),
        None,
        source,
    )
}

impl Family {
    fn new() -> Self {
        Self {
            child: child_born(d(2015, 5, 1)),
            child_facts: Vec::new(),
            father: Vec::new(),
            mother: Vec::new(),
            rural: true,
        }
    }

    fn categories_on(&self, date: NaiveDate) -> Vec<Category> {
        let case = ChildCase {
            child: &self.child,
            child_facts: &self.child_facts,
            father: Some(ParentFacts {
                facts: &self.father,
            }),
            mother: Some(ParentFacts {
                facts: &self.mother,
            }),
            registered_rural: self.rural,
        };
        assess(&case, date, &PolicyParams::default())
            .into_iter()
            .map(|d| d.category)
            .collect()
    }

    fn categories(&self) -> Vec<Category> {
        self.categories_on(as_of())
    }
}

fn paid(family: &mut Family, assistance: AssistanceType, month: NaiveDate) {
    family.child_facts.push(fact(
        FactKind::Payment {
            assistance,
            amount_fen: 190_000,
        },
        Some(month),
        Some(
            month
                .checked_add_months(Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap(),
        ),
        99,
    ));
}

#[test]
fn ordinary_family_has_no_category() {
    assert!(Family::new().categories().is_empty());
}

#[test]
fn both_parents_dead_is_orphan_not_de_facto_unsupported() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother.push(dead(d(2021, 1, 1), 11));
    assert_eq!(
        f.categories(),
        vec![Category::Orphan, Category::EntitledNotReceiving]
    );
}

#[test]
fn father_dead_and_mother_imprisoned_long_is_de_facto_unsupported() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother
        .push(custody(d(2025, 1, 1), Some(d(2029, 1, 1)), 11));
    let case = ChildCase {
        child: &f.child,
        child_facts: &f.child_facts,
        father: Some(ParentFacts { facts: &f.father }),
        mother: Some(ParentFacts { facts: &f.mother }),
        registered_rural: true,
    };
    let decisions = assess(&case, as_of(), &PolicyParams::default());
    let unsupported = &decisions[0];
    assert_eq!(unsupported.category, Category::DeFactoUnsupported);
    assert!(unsupported.policy.contains("民发〔2019〕62号"));
    // Age, father's death, mother's custody — each naming its source record.
    assert_eq!(unsupported.reasons.len(), 3);
    assert_eq!(unsupported.reasons[1].sources, vec![SourceRecordId(10)]);
    assert!(unsupported.reasons[2].text.contains("服刑在押"));
    assert_eq!(unsupported.reasons[2].sources, vec![SourceRecordId(11)]);
    // No allowance paid: entitled but not receiving.
    assert_eq!(decisions[1].category, Category::EntitledNotReceiving);
}

#[test]
fn a_paid_allowance_clears_entitled_not_receiving() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother
        .push(custody(d(2025, 1, 1), Some(d(2029, 1, 1)), 11));
    paid(
        &mut f,
        AssistanceType::UnsupportedChildAllowance,
        d(2026, 10, 1),
    );
    assert_eq!(f.categories(), vec![Category::DeFactoUnsupported]);
}

#[test]
fn an_old_payment_does_not_count_as_receiving() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother
        .push(custody(d(2025, 1, 1), Some(d(2029, 1, 1)), 11));
    paid(
        &mut f,
        AssistanceType::UnsupportedChildAllowance,
        d(2026, 6, 1),
    );
    // The wrong allowance does not count either.
    paid(&mut f, AssistanceType::Dibao, d(2026, 11, 1));
    assert!(f.categories().contains(&Category::EntitledNotReceiving));
}

#[test]
fn custody_of_exactly_six_months_qualifies_and_one_day_less_does_not() {
    let start = d(2026, 5, 1);
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother.push(custody(start, Some(d(2026, 11, 1)), 11));
    assert!(f
        .categories_on(d(2026, 10, 31))
        .contains(&Category::DeFactoUnsupported));

    let mut short = Family::new();
    short.father.push(dead(d(2020, 1, 1), 10));
    short.mother.push(custody(start, Some(d(2026, 10, 31)), 11));
    // Still in custody on 2026-10-31, but a sentence one day short of six months.
    assert!(short.categories_on(d(2026, 10, 31)).is_empty());
}

#[test]
fn open_ended_custody_counts_once_six_months_are_served() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother.push(custody(d(2026, 5, 22), None, 11));
    assert!(f.categories_on(d(2026, 11, 21)).is_empty());
    assert!(f
        .categories_on(d(2026, 11, 22))
        .contains(&Category::DeFactoUnsupported));
}

#[test]
fn custody_that_has_ended_is_no_longer_a_condition() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother
        .push(custody(d(2024, 1, 1), Some(d(2026, 1, 1)), 11));
    assert!(f.categories().is_empty());
}

#[test]
fn lost_contact_counts_from_six_months_after_the_report() {
    let mut f = Family::new();
    f.father
        .push(custody(d(2025, 1, 1), Some(d(2030, 1, 1)), 10));
    f.mother
        .push(fact(FactKind::Missing, Some(d(2026, 5, 22)), None, 11));
    // Missing counts at once in the "one parent missing" branch, with the father in custody.
    assert!(f
        .categories_on(d(2026, 6, 1))
        .contains(&Category::DeFactoUnsupported));

    // Both only "lost contact": each must have lasted 6 months.
    let mut g = Family::new();
    g.father
        .push(fact(FactKind::Missing, Some(d(2026, 5, 22)), None, 10));
    g.mother
        .push(disability(DisabilityCategory::Physical, 1, 11));
    assert!(g
        .categories_on(d(2026, 11, 22))
        .contains(&Category::DeFactoUnsupported));
}

#[test]
fn both_parents_in_conditions_without_death() {
    let mut f = Family::new();
    f.father
        .push(custody(d(2025, 1, 1), Some(d(2030, 1, 1)), 10));
    f.mother
        .push(disability(DisabilityCategory::Physical, 2, 11));
    assert!(f.categories().contains(&Category::DeFactoUnsupported));
}

#[test]
fn severe_disability_depends_on_grade_and_category() {
    let case_with = |category, grade| {
        let mut f = Family::new();
        f.father.push(dead(d(2020, 1, 1), 10));
        f.mother.push(disability(category, grade, 11));
        f.categories().contains(&Category::DeFactoUnsupported)
    };
    assert!(case_with(DisabilityCategory::Physical, 1));
    assert!(case_with(DisabilityCategory::Visual, 2));
    assert!(!case_with(DisabilityCategory::Physical, 3));
    assert!(!case_with(DisabilityCategory::Hearing, 4));
    assert!(case_with(DisabilityCategory::Intellectual, 3));
    assert!(case_with(DisabilityCategory::Mental, 4));
}

#[test]
fn one_parent_in_a_condition_and_the_other_well_is_not_enough() {
    let mut f = Family::new();
    f.father
        .push(custody(d(2025, 1, 1), Some(d(2030, 1, 1)), 10));
    assert!(f.categories().is_empty());
}

#[test]
fn an_unknown_parent_satisfies_no_condition() {
    let f = Family::new();
    let father = vec![dead(d(2020, 1, 1), 10)];
    let case = ChildCase {
        child: &f.child,
        child_facts: &[],
        father: Some(ParentFacts { facts: &father }),
        mother: None,
        registered_rural: true,
    };
    assert!(assess(&case, as_of(), &PolicyParams::default()).is_empty());
}

#[test]
fn the_age_limit_of_eighteen_is_exact() {
    let mut f = Family::new();
    f.father.push(dead(d(2020, 1, 1), 10));
    f.mother.push(dead(d(2021, 1, 1), 11));
    f.child = child_born(d(2008, 11, 23));
    assert!(
        f.categories().contains(&Category::Orphan),
        "17 the day before"
    );
    f.child = child_born(d(2008, 11, 22));
    assert!(f.categories().is_empty(), "18 on the day");
}

#[test]
fn left_behind_needs_both_parents_away_rural_and_under_sixteen() {
    let mut f = Family::new();
    f.father.push(away(10));
    f.mother.push(away(11));
    assert_eq!(f.categories(), vec![Category::RuralLeftBehind]);

    f.rural = false;
    assert!(f.categories().is_empty(), "urban registration");
    f.rural = true;

    f.child = child_born(d(2010, 11, 23));
    assert_eq!(
        f.categories(),
        vec![Category::RuralLeftBehind],
        "15 the day before"
    );
    f.child = child_born(d(2010, 11, 22));
    assert!(f.categories().is_empty(), "16 on the day");
}

#[test]
fn left_behind_with_one_parent_away_and_the_other_incapable() {
    let mut f = Family::new();
    f.father.push(away(10));
    assert!(f.categories().is_empty(), "mother at home and capable");
    f.mother
        .push(disability(DisabilityCategory::Physical, 1, 11));
    let categories = f.categories();
    assert!(categories.contains(&Category::RuralLeftBehind));
}

#[test]
fn facts_dated_after_as_of_are_ignored() {
    let mut f = Family::new();
    f.father.push(dead(d(2027, 1, 1), 10));
    f.mother.push(dead(d(2027, 1, 1), 11));
    assert!(f.categories().is_empty());
}
