//! Pack loading, validation errors, effective dates, local overrides and explanations.

use chrono::NaiveDate;
use humiao_core::fact::{Fact, FactKind};
use humiao_core::person::{Person, PersonId, PersonName, SourceRecordId};
use humiao_core::policy::{Category, ChildCase, ParentFacts};
use humiao_core::records::CustodyMeasure;
use humiao_core::Sex;

use crate::value::Value;
use crate::{casebook, load, national, PackSource, NATIONAL_CASES, NATIONAL_PACK};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn national_source() -> PackSource<'static> {
    PackSource {
        file: "national.toml",
        text: NATIONAL_PACK,
    }
}

/// The national pack with `body` appended as a local override pack.
fn with_local(body: &str) -> Result<crate::RulePack, crate::PackErrors> {
    let text = format!("[pack]\nname = \"local\"\nversion = \"1\"\nextends = \"national\"\n{body}");
    let text: &'static str = Box::leak(text.into_boxed_str());
    load(&[
        national_source(),
        PackSource {
            file: "local.toml",
            text,
        },
    ])
}

fn errors_of(body: &str) -> Vec<String> {
    with_local(body)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Runs a case book and fails with every failing case, by line; it must hold `at_least` cases.
fn assert_book_passes(pack: &crate::RulePack, file: &str, text: &str, at_least: usize) {
    let report = casebook::run(pack, file, text).unwrap();
    let failed: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !c.failures.is_empty())
        .map(|c| format!("line {} {}: {}", c.line, c.name, c.failures.join("; ")))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(report.cases.len() >= at_least, "{}", report.cases.len());
}

#[test]
fn the_national_case_book_passes() {
    let pack = national();
    assert_book_passes(&pack, "national.cases.toml", NATIONAL_CASES, 30);
}

#[test]
fn a_wrong_expectation_fails_with_the_difference() {
    let pack = national();
    let book = r#"
[[case]]
name = "wrong on purpose"
as_of = "2026-11-22"
child = { birth = "2015-03-01" }
father = [{ type = "death", from = "2020-01-01" }]
mother = [{ type = "death", from = "2021-05-01" }]
expect = ["orphan"]
"#;
    let report = casebook::run(&pack, "b.toml", book).unwrap();
    assert_eq!(report.failed(), 1);
    assert_eq!(report.cases[0].line, 2);
    assert!(
        report.cases[0].failures[0].contains("应保未保"),
        "{:?}",
        report.cases[0]
    );
}

#[test]
fn a_malformed_case_book_names_file_and_line() {
    let pack = national();
    let err = casebook::run(
        &pack,
        "b.toml",
        "[[case]]\nname = \"x\"\nas_of = \"2026-13-01\"\n",
    )
    .unwrap_err();
    assert_eq!(err.0[0].file, "b.toml");
    assert_eq!(err.0[0].line, 3, "{err}");
    let err = casebook::run(
        &pack,
        "b.toml",
        "[[case]]\nname = \"x\"\nas_of = \"2026-01-01\"\nchild = { birth = \"2015-01-01\" }\nexpect = [\"orphn\"]\n",
    )
    .unwrap_err();
    assert!(err.0[0].problem.contains("orphn"), "{err}");
}

#[test]
fn parameters_change_on_their_effective_date() {
    let pack = national();
    let p = pack.parameter("orphan_allowance_fen").unwrap();
    assert_eq!(p.value_on(d(2025, 12, 31)), Value::Int(150_000));
    assert_eq!(p.value_on(d(2026, 1, 1)), Value::Int(162_000));
    // Before any value is in force the parameter is unknown, not zero.
    assert_eq!(p.value_on(d(2000, 1, 1)), Value::Unknown);
}

#[test]
fn a_local_pack_overrides_a_parameter_from_a_date() {
    // The county extends 留守 to under-18s from 2026-07-01.
    let pack = with_local(
        r#"
[parameters.left_behind_max_age]
label = "农村留守儿童年龄上限（本县）"
values = [{ from = "2016-02-14", value = 16 }, { from = "2026-07-01", value = 18 }]
"#,
    )
    .unwrap();
    assert_eq!(pack.layers, vec!["national 2026.1", "local 1"]);
    let child = person(d(2009, 12, 1));
    let father = vec![fact(
        FactKind::WorksAway { destination: None },
        Some(d(2024, 1, 1)),
        None,
        5,
    )];
    let mother = father.clone();
    let case = case(&child, Some(&father), Some(&mother), true);
    // 16 years old on both dates: not left behind the day before the change, left behind on it.
    assert!(pack.assess(&case, d(2026, 6, 30)).categories().is_empty());
    assert_eq!(
        pack.assess(&case, d(2026, 7, 1)).categories(),
        vec![Category::RuralLeftBehind]
    );
    // The national pack alone: not on either date.
    assert!(national()
        .assess(&case, d(2026, 7, 1))
        .categories()
        .is_empty());
}

#[test]
fn validation_names_file_line_column_and_problem() {
    let errors = errors_of(
        r#"
[categories.orphan]
policy = "x"
when = "age < adult_age and fathr.dead"
"#,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    // Line 8 of local.toml (4 header lines, a blank one, then the table); column of `fathr`.
    assert!(
        errors[0].starts_with("local.toml:8:29: 类别 orphan：“fathr”不是人员"),
        "{errors:?}"
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let errors = errors_of(
        r#"
[parameters.bad_date]
label = "x"
values = [{ from = "2026-02-30", value = 1 }]

[parameters.mixed]
label = "x"
values = [{ from = "2026-01-01", value = 1 }, { from = "2026-02-01", value = "a" }]

[categories.orphn]
policy = "x"
when = "true"

[categories.entitled_not_receiving]
policy = "x"
when = "true"

[categories.rural_left_behind]
policy = "x"
when = "age <"

[entitlements.x]
label = "x"
policy = "x"
when = "category.orphan"
payment = "cash"
monthly_fen = "true"

[functions.loop_a]
params = ["p"]
when = "loop_b(p)"

[functions.loop_b]
params = ["p"]
when = "loop_a(p)"
"#,
    );
    let all = errors.join("\n");
    for want in [
        "生效日期“2026-02-30”应为 YYYY-MM-DD",
        "各时期取值类型不一致",
        "未知类别代码“orphn”",
        "由待遇与发放记录自动判定",
        "类别 rural_left_behind：此处缺少条件或数值",
        "发放类型“cash”未知",
        "月发放标准：结果应为整数",
        "函数 loop_a 直接或间接调用了自身",
    ] {
        assert!(all.contains(want), "missing {want} in:\n{all}");
    }
    assert!(errors.iter().all(|e| e.starts_with("local.toml:")), "{all}");
}

#[test]
fn toml_errors_and_layering_mistakes_are_located() {
    let err = load(&[PackSource {
        file: "p.toml",
        text: "[pack]\nname = \"x\"\nversion = 1\n",
    }])
    .unwrap_err();
    assert!(err.0[0].to_string().starts_with("p.toml:3:"), "{err}");
    let err = load(&[
        national_source(),
        PackSource {
            file: "l.toml",
            text: "[pack]\nname = \"l\"\nversion = \"1\"\nextends = \"provincial\"\n",
        },
    ])
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("它之下没有这个规则包（它叠加在“national”之上）"),
        "{err}"
    );
    let err = load(&[PackSource {
        file: "p.toml",
        text: "[pack]\nname = \"x\"\nversion = \"1\"\n",
    }])
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("缺少必需的参数 payment_lookback_months"),
        "{err}"
    );
}

#[test]
fn category_cycles_are_refused() {
    let errors = errors_of(
        r#"
[categories.orphan]
policy = "x"
when = "category.rural_left_behind"

[categories.rural_left_behind]
policy = "x"
when = "category.orphan"
"#,
    );
    assert!(errors.iter().any(|e| e.contains("循环引用")), "{errors:?}");
}

/// A case without facts of the child's own; `None` for a parent unknown to the data.
fn case<'a>(
    child: &'a Person,
    father: Option<&'a [Fact]>,
    mother: Option<&'a [Fact]>,
    rural: bool,
) -> ChildCase<'a> {
    ChildCase {
        child,
        child_facts: &[],
        father: father.map(|facts| ParentFacts { facts }),
        mother: mother.map(|facts| ParentFacts { facts }),
        registered_rural: rural,
        household: Some(&[]),
        observations: &[],
    }
}

fn person(birth: NaiveDate) -> Person {
    Person {
        id: PersonId(1),
        citizen_id: None,
        name: PersonName::parse("王小明").unwrap(),
        sex: Sex::Male,
        birth_date: birth,
        hukou_region: None,
        hukou_address: None,
        residence_grid: None,
        residence_address: None,
        household_no: None,
    }
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

#[test]
fn a_release_ends_the_custody_it_follows_but_not_a_later_one() {
    let child = person(d(2014, 6, 1));
    let father = vec![fact(FactKind::Death, Some(d(2022, 3, 1)), None, 10)];
    let prison = |from| {
        fact(
            FactKind::Custody {
                measure: CustodyMeasure::Imprisonment,
            },
            Some(from),
            Some(d(2029, 12, 31)),
            11,
        )
    };
    let released = fact(FactKind::Released, Some(d(2026, 11, 20)), None, 12);
    let as_of = d(2026, 11, 22);
    let categories = |mother: &Vec<Fact>| {
        let case = case(&child, Some(&father), Some(mother), false);
        national()
            .assess(&case, as_of)
            .decisions
            .iter()
            .map(|d| d.category)
            .collect::<Vec<_>>()
    };
    // In prison: 事实无人抚养 (father dead, mother in custody).
    assert!(categories(&vec![prison(d(2024, 1, 1))]).contains(&Category::DeFactoUnsupported));
    // Released early, before the planned end: no longer.
    let out = categories(&vec![prison(d(2024, 1, 1)), released.clone()]);
    assert!(!out.contains(&Category::DeFactoUnsupported), "{out:?}");
    // A release before a later custody does not end it.
    let again = categories(&vec![released.clone(), prison(d(2026, 11, 21))]);
    assert!(again.contains(&Category::DeFactoUnsupported), "{again:?}");
    // A release not yet happened on the day assessed ends nothing.
    let later = fact(FactKind::Released, Some(d(2026, 12, 1)), None, 12);
    assert!(categories(&vec![prison(d(2024, 1, 1)), later]).contains(&Category::DeFactoUnsupported));
}

#[test]
fn explanations_name_the_facts_and_their_source_records() {
    let child = person(d(2014, 6, 1));
    let father = vec![fact(FactKind::Death, Some(d(2022, 3, 1)), None, 10)];
    let mother = vec![fact(
        FactKind::Custody {
            measure: CustodyMeasure::Imprisonment,
        },
        Some(d(2024, 1, 1)),
        Some(d(2029, 12, 31)),
        11,
    )];
    let case = case(&child, Some(&father), Some(&mother), false);
    let out = national().assess(&case, d(2026, 11, 22));
    let decision = &out.decisions[0];
    assert_eq!(decision.category, Category::DeFactoUnsupported);
    assert!(decision.policy.contains("民发〔2019〕62号"));
    let texts: Vec<&str> = decision.reasons.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("12周岁"));
    assert_eq!(decision.reasons[1].sources, vec![SourceRecordId(10)]);
    assert!(texts[1].contains("父亲死亡"));
    assert_eq!(decision.reasons[2].sources, vec![SourceRecordId(11)]);
    assert!(
        texts[2].contains("母亲服刑在押") && texts[2].contains("期限71个月"),
        "{texts:?}"
    );
    // 应保未保 names the entitlement and carries the category's facts.
    let gap = out
        .decisions
        .iter()
        .find(|d| d.category == Category::EntitledNotReceiving)
        .expect("应保未保");
    assert!(gap
        .reasons
        .last()
        .unwrap()
        .text
        .contains("事实无人抚养儿童基本生活补贴"));
    assert!(national()
        .parameters_in_force(d(2026, 11, 22))
        .iter()
        .any(|(n, v)| n == "adult_age" && v == "18"));
}

#[test]
fn an_unknown_parent_makes_the_category_undetermined_and_says_why() {
    let child = person(d(2014, 6, 1));
    let mother = vec![fact(FactKind::Death, Some(d(2022, 3, 1)), None, 10)];
    let case = case(&child, None, Some(&mother), false);
    let out = national().assess(&case, d(2026, 11, 22));
    assert!(out.decisions.is_empty());
    let orphan = out
        .undetermined
        .iter()
        .find(|u| u.category == Category::Orphan)
        .unwrap();
    assert_eq!(orphan.missing, vec!["父亲身份不明（未关联到父亲的记录）"]);
    assert!(orphan.reasons.iter().any(|r| r.text.contains("母亲死亡")));
}

#[test]
fn the_higher_of_two_allowances_in_a_group_is_paid() {
    // A local pack where 事实无人抚养 pays more than 孤儿, and a child who is both (by a local rule).
    let pack = with_local(
        r#"
[parameters.unsupported_child_allowance_fen]
label = "x"
values = [{ from = "2024-01-01", value = 170000 }]

[categories.de_facto_unsupported]
policy = "x"
when = "age < adult_age and father.dead and mother.dead"
"#,
    )
    .unwrap();
    let child = person(d(2014, 6, 1));
    let dead = vec![fact(FactKind::Death, Some(d(2022, 3, 1)), None, 10)];
    let case = case(&child, Some(&dead), Some(&dead), false);
    let out = pack.assess(&case, d(2026, 11, 22));
    let payable: Vec<&str> = out
        .entitlements
        .iter()
        .filter(|e| e.payable)
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(payable, vec!["unsupported_child_allowance"]);
    assert_eq!(out.entitlements.len(), 2);
    // One 应保未保 for the group, not two.
    let gaps = out
        .decisions
        .iter()
        .filter(|d| d.category == Category::EntitledNotReceiving)
        .count();
    assert_eq!(gaps, 1);
}

#[test]
fn risk_scores_are_ranges_and_indicators_name_their_facts() {
    let child = person(d(2014, 6, 1));
    let father = vec![fact(FactKind::Death, Some(d(2026, 10, 1)), None, 10)];
    let case = case(&child, Some(&father), None, false);
    let pack = national();
    let out = pack.assess(&case, d(2026, 11, 22));
    let risk = &out.risk[0];
    assert_eq!(risk.model(&pack).code, "general");
    let find = |code: &str| {
        risk.indicators
            .iter()
            .find(|i| risk.model(&pack).indicators[i.index].code == code)
            .unwrap()
    };
    // Known: father dead (8), recently (6), no school record (3) = 17; the unknown mother and
    // the visit-fed indicators could add up to the maximum.
    assert_eq!(risk.score, 17);
    assert!(risk.score_max > risk.score);
    assert_eq!(risk.level_info(&pack).label, "低危");
    assert!(risk.unknown > 0);
    let dead = find("parent_dead_or_missing");
    assert_eq!(dead.state, "true");
    assert_eq!(dead.reasons[0].sources, vec![SourceRecordId(10)]);
    let custody = find("parent_in_custody");
    assert_eq!(
        custody.state, "unknown",
        "the mother is unknown to the data"
    );
    assert!(custody.missing[0].contains("母亲身份不明"));
    let visit = find("domestic_violence");
    assert_eq!(visit.state, "unknown");
    assert!(visit.awaits_visit);
}

#[test]
fn an_urgent_indicator_sets_the_top_level_whatever_the_score() {
    let pack = with_local(
        r#"
[risk.general.indicators.parent_in_custody]
group = "family"
label = "父母一方被羁押（本县列为紧急事项）"
weight = 8
urgent = true
when = "father.custody or mother.custody"
"#,
    )
    .unwrap();
    let child = person(d(2014, 6, 1));
    let father = vec![fact(
        FactKind::Custody {
            measure: CustodyMeasure::OtherRestriction,
        },
        Some(d(2026, 11, 1)),
        Some(d(2026, 11, 30)),
        10,
    )];
    let case = case(&child, Some(&father), Some(&[]), false);
    let risk = &pack.assess(&case, d(2026, 11, 22)).risk[0];
    assert!(risk.score < 60);
    assert_eq!(risk.level_info(&pack).label, "极危");
    assert_eq!(risk.level_info(&pack).colour, "red");
    assert_eq!(
        risk.urgent_labels(&pack),
        vec!["父母一方被羁押（本县列为紧急事项）"]
    );
}

#[test]
fn dynamic_rules_flag_persistence_and_a_sharp_rise() {
    let pack = national();
    let model = &pack.risk[0];
    let (high, medium, low) = (1, 2, 3);
    // 高危 or above three times running.
    let history = [(d(2026, 9, 1), 45, high), (d(2026, 10, 1), 62, 0)];
    let flags = model.dynamic_flags(&history, (d(2026, 11, 1), 41, high));
    assert!(flags.iter().any(|f| f.code == "persistent"), "{flags:?}");
    let broken = [(d(2026, 9, 1), 45, high), (d(2026, 10, 1), 30, medium)];
    let flags = model.dynamic_flags(&broken, (d(2026, 11, 1), 41, high));
    assert!(!flags.iter().any(|f| f.code == "persistent"), "{flags:?}");
    // Up 15 points within 30 days: re-visit; the same rise over 31 days is not flagged.
    let flags = model.dynamic_flags(&[(d(2026, 10, 2), 10, low)], (d(2026, 11, 1), 25, medium));
    assert!(flags.iter().any(|f| f.code == "rising"), "{flags:?}");
    let flags = model.dynamic_flags(&[(d(2026, 10, 1), 10, low)], (d(2026, 11, 1), 25, medium));
    assert!(!flags.iter().any(|f| f.code == "rising"), "{flags:?}");
    let flags = model.dynamic_flags(&[(d(2026, 10, 2), 11, low)], (d(2026, 11, 1), 25, medium));
    assert!(
        !flags.iter().any(|f| f.code == "rising"),
        "14 points: {flags:?}"
    );
}

#[test]
fn risk_model_mistakes_are_located() {
    let errors = errors_of(
        r#"
[risk.general]
persistent_level = "severe"

[risk.general.indicators.a]
group = "school"
label = "x"
weight = 3
when = "true"

[risk.general.indicators.b]
group = "child"
label = "x"
weight = 300
when = "true"

[risk.general.indicators.c]
group = "child"
label = "x"
weight = 3

[risk.general.indicators.d]
group = "child"
label = "x"
weight = 3
when = "category.entitled_not_receivng"

[risk.self_harm]
levels = [{ code = "low", label = "低", min = 0, colour = "green" }, { code = "high", label = "高", min = 50, colour = "red" }]
[risk.self_harm.indicators.x]
group = "child"
label = "x"
weight = 1
source = "visit"
"#,
    );
    let all = errors.join("\n");
    for want in [
        "persistent_level “severe”不是已定义的等级",
        "分组“school”应为 child、family 或 environment",
        "权重应在 0–100 之间",
        "数据指标须写 when",
        "未知类别“entitled_not_receivng”",
        "levels 须从最严重到最轻排列",
    ] {
        assert!(all.contains(want), "missing {want} in:\n{all}");
    }
}

#[test]
fn a_specialised_model_is_a_pack_of_its_own() {
    let pack = with_local(
        r#"
[risk.self_harm]
label = "自伤风险专项模型"
levels = [{ code = "high", label = "高", min = 50, colour = "red" }, { code = "low", label = "低", min = 0, colour = "green" }]
[risk.self_harm.indicators.parent_lost]
group = "family"
label = "近期失去父母一方"
weight = 50
when = "days_since_family_change <= 180 and (father.dead or mother.dead)"
[risk.self_harm.indicators.signs]
group = "child"
label = "自伤念头"
weight = 50
source = "visit"
"#,
    )
    .unwrap();
    let child = person(d(2012, 6, 1));
    let father = vec![fact(FactKind::Death, Some(d(2026, 9, 1)), None, 10)];
    let case = case(&child, Some(&father), Some(&[]), false);
    let out = pack.assess(&case, d(2026, 11, 22));
    assert_eq!(out.risk.len(), 2);
    assert_eq!(out.risk[0].model(&pack).code, "general");
    let special = &out.risk[1];
    assert_eq!(special.model(&pack).label, "自伤风险专项模型");
    assert_eq!((special.score, special.score_max), (50, 100));
    assert_eq!(special.level_info(&pack).label, "高");
}

#[test]
fn a_migrant_child_is_explained_by_the_register_and_its_date() {
    let mut child = person(d(2015, 3, 1));
    child.hukou_region = humiao_core::RegionCode::parse("330212001001").ok();
    child.residence_grid = humiao_core::RegionCode::parse("330212002003001").ok();
    let own = vec![fact(FactKind::LivesAway, Some(d(2025, 4, 2)), None, 21)];
    let known: Vec<Fact> = Vec::new();
    let case = ChildCase {
        child_facts: &own,
        ..case(&child, Some(&known), Some(&known), false)
    };
    let out = national().assess(&case, d(2026, 11, 22));
    let migrant = out
        .decisions
        .iter()
        .find(|d| d.category == Category::Migrant)
        .expect("a migrant child");
    let texts: Vec<&str> = migrant.reasons.iter().map(|r| r.text.as_str()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("人户分离") && t.contains("330212001001")),
        "{texts:?}"
    );
    let months = migrant
        .reasons
        .iter()
        .find(|r| r.text.contains("已满19个月"))
        .unwrap_or_else(|| panic!("{texts:?}"));
    assert_eq!(months.sources, vec![SourceRecordId(21)]);

    // Living at home: not a migrant, and nothing undetermined about it.
    let mut at_home = child.clone();
    at_home.residence_grid = humiao_core::RegionCode::parse("330212001001004").ok();
    let case = ChildCase {
        child: &at_home,
        ..case
    };
    let out = national().assess(&case, d(2026, 11, 22));
    assert!(!out.categories().contains(&Category::Migrant));
    assert!(out
        .undetermined
        .iter()
        .all(|u| u.category != Category::Migrant));
}

#[test]
fn the_latest_visit_observation_counts_until_it_is_too_old() {
    use humiao_core::policy::Observation;
    let child = person(d(2014, 6, 1));
    let known: Vec<Fact> = Vec::new();
    let observed = |on: NaiveDate, present: bool, visit: i64| Observation {
        model: "general".into(),
        indicator: "mental_health_signs".into(),
        present,
        observed_on: on,
        visit,
    };
    let indicator = |observations: &[Observation], as_of: NaiveDate| {
        let case = ChildCase {
            observations,
            ..case(&child, Some(&known), Some(&known), false)
        };
        let out = national().assess(&case, as_of);
        let model = &national().risk[0];
        let i = model
            .indicators
            .iter()
            .position(|i| i.code == "mental_health_signs")
            .unwrap();
        let o = &out.risk[0].indicators[i];
        (o.state, o.awaits_visit)
    };
    let seen = [observed(d(2026, 6, 1), true, 1)];
    assert_eq!(indicator(&seen, d(2026, 11, 22)), ("true", false));
    // A later visit that looked and did not see it wins.
    let then_not = [seen[0].clone(), observed(d(2026, 10, 1), false, 2)];
    assert_eq!(indicator(&then_not, d(2026, 11, 22)), ("false", false));
    // 180 days on (visit_observation_valid_days), it waits for a visit again.
    assert_eq!(indicator(&seen, d(2026, 11, 28)), ("true", false));
    assert_eq!(indicator(&seen, d(2026, 11, 29)), ("unknown", true));
    // An observation after the assessment date does not count.
    assert_eq!(indicator(&seen, d(2026, 5, 31)), ("unknown", true));
}

#[test]
fn a_case_book_observation_must_be_a_visit_fed_indicator() {
    let book = r#"
[[case]]
name = "bad observation"
as_of = "2026-11-22"
child = { birth = "2015-03-01" }
observations = { parent_dead_or_missing = true }
expect = []
"#;
    let errors = casebook::run(&national(), "b.toml", book).unwrap_err();
    let text = errors.to_string();
    assert!(
        text.contains("b.toml:2") && text.contains("parent_dead_or_missing"),
        "{text}"
    );
}

/// The shipped specialised models load over the national pack, next to a local pack that also
/// extends the national one, and pass their case book.
#[test]
fn the_specialised_models_pass_their_case_book_beside_a_local_pack() {
    let local = "[pack]\nname = \"huxian\"\nversion = \"1\"\nextends = \"national\"\n";
    let pack = load(&[
        national_source(),
        PackSource {
            file: "local.toml",
            text: local,
        },
        PackSource {
            file: "specialised.toml",
            text: crate::SPECIALISED_PACK,
        },
    ])
    .unwrap();
    let codes: Vec<&str> = pack.risk.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "general",
            "mental_illness",
            "offending",
            "self_harm",
            "sleep"
        ]
    );
    for model in &pack.risk {
        let total: u32 = model.indicators.iter().map(|i| i.weight).sum();
        assert_eq!(total, 100, "{}", model.code);
    }
    assert_book_passes(&pack, "specialised.cases.toml", crate::SPECIALISED_CASES, 6);
    // A layer must still extend something below it.
    let stray = "[pack]\nname = \"x\"\nversion = \"1\"\nextends = \"provincial\"\n";
    let errors = load(&[
        national_source(),
        PackSource {
            file: "x.toml",
            text: stray,
        },
    ])
    .unwrap_err()
    .to_string();
    assert!(
        errors.contains("x.toml") && errors.contains("provincial"),
        "{errors}"
    );
}
