//! Behaviour of the whole linker on a small synthetic county and on hand-built hard cases.

use chrono::NaiveDate;
use humiao_core::CitizenId;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::{Decision, InputRecord, LinkConfig, Linker, PairVerdict, Quiet};

/// A tiny deterministic generator: persons in households, each seen by two or three departments
/// with some noise. Returns records and the true person of each.
struct County {
    records: Vec<InputRecord>,
    truth: FxHashMap<String, u32>,
}

const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "晓东", "子涵", "欣怡", "浩然", "梓轩", "雨桐", "一诺",
];
const VILLAGES: [&str; 6] = ["东门村", "西山村", "南塘村", "北岸村", "新桥村", "湖滨社区"];

fn rng(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn county(persons: u32, seed: u64) -> County {
    let mut s = seed | 1;
    let mut records = Vec::new();
    let mut truth = FxHashMap::default();
    let mut n = 0;
    for p in 0..persons {
        let surname = SURNAMES[(rng(&mut s) % 8) as usize];
        let given = GIVEN[(rng(&mut s) % 24) as usize];
        let name = format!("{surname}{given}");
        let birth = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
            + chrono::Duration::days((rng(&mut s) % 25_000) as i64);
        let id = CitizenId::from_parts("330199", birth, (p % 999) as u16 + 1).unwrap();
        let village = VILLAGES[(rng(&mut s) % 6) as usize];
        let address = format!("护苗县城关镇{village}{}号", rng(&mut s) % 300 + 1);
        let father = format!("{surname}{}", GIVEN[(rng(&mut s) % 16) as usize]);
        let copies = 2 + (rng(&mut s) % 2) as usize;
        for c in 0..copies {
            let noise = rng(&mut s) % 10;
            let mut r = InputRecord {
                key: format!("r{n}"),
                source: ["police", "education", "health"][c].into(),
                citizen_id: id.as_str().into(),
                name: name.clone(),
                sex: String::new(),
                birth_date: birth.format("%Y-%m-%d").to_string(),
                address: address.clone(),
                household: String::new(),
                parent_names: vec![father.clone()],
            };
            match noise {
                0 => r.citizen_id.clear(),
                1 => r.birth_date = birth.format("%Y年%-m月%-d日").to_string(),
                2 => r.address = format!("护苗县城关镇{village}"),
                3 => r.parent_names.clear(),
                _ => {}
            }
            truth.insert(r.key.clone(), p);
            records.push(r);
            n += 1;
        }
    }
    County { records, truth }
}

fn partition(linker: &Linker) -> FxHashSet<Vec<String>> {
    let mut by: FxHashMap<u64, Vec<String>> = FxHashMap::default();
    let mut singles = Vec::new();
    for (k, c) in linker.assignments() {
        match c {
            Some(c) => by.entry(c).or_default().push(k.to_string()),
            None => singles.push(vec![k.to_string()]),
        }
    }
    by.into_values()
        .chain(singles)
        .map(|mut v| {
            v.sort();
            v
        })
        .collect()
}

fn pairwise_f1(linker: &Linker, truth: &FxHashMap<String, u32>) -> (f64, f64) {
    let mut tp = 0u64;
    let mut predicted = 0u64;
    let mut actual = 0u64;
    let mut by_true: FxHashMap<u32, u64> = FxHashMap::default();
    for cluster in partition(linker) {
        let k = cluster.len() as u64;
        predicted += k * (k - 1) / 2;
        let mut counts: FxHashMap<u32, u64> = FxHashMap::default();
        for r in &cluster {
            *counts.entry(truth[r]).or_default() += 1;
        }
        tp += counts.values().map(|c| c * (c - 1) / 2).sum::<u64>();
    }
    for p in truth.values() {
        *by_true.entry(*p).or_default() += 1;
    }
    actual += by_true.values().map(|c| c * (c - 1) / 2).sum::<u64>();
    (tp as f64 / predicted as f64, tp as f64 / actual as f64)
}

fn linked(records: &[InputRecord]) -> Linker {
    let mut linker = Linker::new(LinkConfig::default());
    for r in records {
        linker.add(r);
    }
    linker.link_all(true, &Quiet);
    linker
}

#[test]
fn links_a_noisy_county_with_high_precision_and_recall() {
    let c = county(600, 7);
    let linker = linked(&c.records);
    let model = linker.model().unwrap();
    assert!(model.em_converged, "EM did not converge");
    let (precision, recall) = pairwise_f1(&linker, &c.truth);
    assert!(precision > 0.98, "precision {precision}");
    assert!(recall > 0.95, "recall {recall}");
}

#[test]
fn incremental_equals_full_and_keeps_ids() {
    let c = county(500, 11);
    let split = c.records.len() * 2 / 3;
    let mut incremental = Linker::new(LinkConfig::default());
    for r in &c.records[..split] {
        incremental.add(r);
    }
    incremental.link_all(true, &Quiet);
    let before: FxHashMap<String, u64> = incremental
        .assignments()
        .filter_map(|(k, c)| c.map(|c| (k.to_string(), c)))
        .collect();
    for r in &c.records[split..] {
        incremental.add(r);
    }
    let run = incremental.link_new(&Quiet);
    assert_eq!(run.linked_records, c.records.len() - split);

    let mut full = Linker::new(LinkConfig::default());
    full.set_model(incremental.model().unwrap().clone());
    for r in &c.records {
        full.add(r);
    }
    full.link_all(false, &Quiet);
    assert_eq!(partition(&incremental), partition(&full));

    // Stable ids: a record keeps its cluster id unless an event says its cluster merged or split.
    let moved: FxHashSet<u64> =
        run.events
            .iter()
            .map(|e| match e {
                crate::ClusterEvent::Merged { from, .. }
                | crate::ClusterEvent::Split { from, .. } => *from,
            })
            .collect();
    for (k, old) in before {
        let now = incremental.cluster_of(&k).unwrap();
        assert!(now == old || moved.contains(&old), "{k} moved {old}→{now}");
    }
}

fn id(birth: (i32, u32, u32), seq: u16) -> String {
    CitizenId::from_parts(
        "330199",
        NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
        seq,
    )
    .unwrap()
    .as_str()
    .to_string()
}

fn rec(
    key: &str,
    citizen_id: &str,
    name: &str,
    birth: &str,
    address: &str,
    parents: &[&str],
) -> InputRecord {
    InputRecord {
        key: key.into(),
        source: "education".into(),
        citizen_id: citizen_id.into(),
        name: name.into(),
        sex: String::new(),
        birth_date: birth.into(),
        address: address.into(),
        household: String::new(),
        parent_names: parents.iter().map(|p| p.to_string()).collect(),
    }
}

/// The background county plus hand-built hard cases, linked together.
fn with_hard_cases() -> Linker {
    let c = county(600, 3);
    let mut records = c.records;
    let home = "护苗县城关镇东门村解放路12号";
    // Twins: same parents, birthday, address and surname; different names and valid IDs.
    records.push(rec(
        "twin-a",
        &id((2016, 5, 1), 11),
        "周子涵",
        "2016-05-01",
        home,
        &["周建国", "吴丽"],
    ));
    records.push(rec(
        "twin-b",
        &id((2016, 5, 1), 13),
        "周子轩",
        "2016-05-01",
        home,
        &["周建国", "吴丽"],
    ));
    records.push(rec("twin-a2", "", "周子涵", "2016/5/1", home, &["周建国"]));
    // Same name and birthday in one county, different villages and parents, no IDs.
    records.push(rec(
        "same-1",
        "",
        "孙浩然",
        "2014-09-09",
        "护苗县城关镇西山村8号",
        &["孙大伟"],
    ));
    records.push(rec(
        "same-2",
        "",
        "孙浩然",
        "2014-09-09",
        "护苗县城关镇南塘村3号",
        &["孙国强"],
    ));
    // Traditional vs simplified, same ID.
    let lin = id((2013, 2, 3), 21);
    records.push(rec("trad-1", &lin, "林麗華", "2013-02-03", "", &[]));
    records.push(rec(
        "trad-2",
        &lin,
        "林丽华",
        "2013-02-03",
        "护苗县城关镇北岸村5号",
        &[],
    ));
    // An ID with two adjacent digits swapped (checksum fails), same name and birthday.
    let good = id((2011, 7, 19), 35);
    let mut swapped: Vec<char> = good.chars().collect();
    swapped.swap(14, 15);
    let swapped: String = swapped.into_iter().collect();
    records.push(rec(
        "swap-1",
        &good,
        "郑明轩",
        "2011-07-19",
        "护苗县城关镇新桥村7号",
        &["郑强"],
    ));
    records.push(rec("swap-2", &swapped, "鄭明軒", "2011-07-19", "", &[]));
    // Pinyin-only name, no ID, same birthday, house and parents.
    records.push(rec(
        "py-1",
        &id((2015, 3, 8), 41),
        "何雨桐",
        "2015-03-08",
        "护苗县城关镇湖滨社区9号",
        &["何军", "冯敏"],
    ));
    records.push(rec(
        "py-2",
        "",
        "He Yutong",
        "08/03/2015",
        "护苗县城关镇湖滨社区9号",
        &["何军", "冯敏"],
    ));
    // A newborn written before being named, as the mother's name plus 之子.
    records.push(rec(
        "nb-1",
        &id((2024, 4, 2), 51),
        "韩一鸣",
        "2024-04-02",
        "护苗县城关镇东门村30号",
        &["韩涛", "宋佳"],
    ));
    records.push(rec(
        "nb-2",
        "",
        "宋佳之子",
        "20240402",
        "护苗县城关镇东门村",
        &[],
    ));
    // A child's clinic record carrying the mother's ID: it is the child's record all the same.
    let mother = id((1990, 2, 2), 62);
    records.push(rec(
        "gid-1",
        &id((2019, 6, 6), 61),
        "钱雨萱",
        "2019-06-06",
        "护苗县城关镇西山村20号",
        &["钱亮", "鲁静"],
    ));
    records.push(rec(
        "gid-m",
        &mother,
        "鲁静",
        "1990-02-02",
        "护苗县城关镇西山村20号",
        &[],
    ));
    records.push(rec(
        "gid-2",
        &mother,
        "钱雨萱",
        "2019-06-06",
        "护苗县城关镇西山村",
        &["鲁静"],
    ));
    // A legacy 15-digit ID (no checksum) with one mistyped region digit.
    let old = id((1950, 3, 3), 71);
    let mut legacy = format!("{}{}", &old[..6], &old[8..17]);
    legacy.replace_range(4..5, "8");
    records.push(rec(
        "old-1",
        &old,
        "曹桂英",
        "1950-03-03",
        "护苗县城关镇南塘村11号",
        &[],
    ));
    records.push(rec(
        "old-2",
        &legacy,
        "曹桂英",
        "1950年3月3日",
        "护苗县城关镇南塘村",
        &[],
    ));
    // A malformed record: nothing aborts.
    records.push(rec(
        "bad",
        "12345",
        "####",
        "not a date",
        "???",
        &["", "  "],
    ));
    linked(&records)
}

#[test]
fn hard_cases_get_the_expected_decision() {
    let linker = with_hard_cases();
    let same = |a: &str, b: &str| {
        linker.cluster_of(a).is_some() && linker.cluster_of(a) == linker.cluster_of(b)
    };
    assert!(!same("twin-a", "twin-b"), "twins must stay apart");
    assert!(
        same("twin-a", "twin-a2"),
        "twin record without ID joins the right twin"
    );
    assert!(
        !same("same-1", "same-2"),
        "same name and birthday, different families"
    );
    assert!(same("trad-1", "trad-2"), "traditional and simplified");
    assert!(same("swap-1", "swap-2"), "transposed ID digits");
    assert!(same("py-1", "py-2"), "pinyin-only name");
    assert!(same("nb-1", "nb-2"), "newborn placeholder name");
    assert!(
        same("gid-1", "gid-2"),
        "child's record with the mother's ID"
    );
    assert!(!same("gid-m", "gid-2"), "the mother is another person");
    assert!(same("old-1", "old-2"), "15-digit ID with a typing error");
    // Twins can never be joined (different valid IDs), so they are not for review either.
    assert!(linker
        .review_queue()
        .iter()
        .all(|p| ![p.a.as_str(), p.b.as_str()].contains(&"twin-b")));
    let why = linker.explain_pair("swap-1", "swap-2").unwrap();
    assert_eq!(why.fields[0].level, 3, "{why:?}");
    assert_eq!(
        why.fields[0].level_label,
        "顺序码或校验码处相差一处：第15、16位颠倒（也可能是同日出生的另一人）"
    );
    assert!(why.probability >= 0.95);
    let twins = linker.explain_pair("twin-a", "twin-b").unwrap();
    assert!(!twins.same_cluster);
    assert_ne!(twins.verdict, PairVerdict::Match);
    // The malformed record is kept, with notes, in a cluster of its own.
    let bad = linker.explain_record("bad", 5).unwrap();
    assert!(!bad.notes.is_empty());
}

#[test]
fn explanations_name_fields_weights_and_probability() {
    let linker = with_hard_cases();
    let why = linker.explain_record("py-2", 5).unwrap();
    let link = why
        .links
        .iter()
        .find(|l| l.b == "py-1")
        .expect("linked to py-1");
    assert_eq!(link.fields.len(), 6);
    let name = &link.fields[1];
    assert_eq!(name.level, 2, "same pinyin");
    assert!(name.weight > 0.0);
    let sum: f64 = link.fields.iter().map(|f| f.weight).sum::<f64>()
        + link.prior_weight
        + link.name_frequency_adjustment;
    assert!((sum - link.total_weight).abs() < 1e-9);
    assert!(!link.blocking.is_empty());
}

#[test]
fn reviewer_decisions_are_respected_by_later_runs() {
    let mut linker = with_hard_cases();
    assert!(linker.cluster_of("same-1") != linker.cluster_of("same-2"));
    linker.decide("same-1", "same-2", Decision::SamePerson);
    linker.link_all(false, &Quiet);
    assert_eq!(linker.cluster_of("same-1"), linker.cluster_of("same-2"));
    assert_eq!(
        linker.explain_pair("same-1", "same-2").unwrap().verdict,
        PairVerdict::AcceptedByReviewer
    );
    linker.decide("trad-1", "trad-2", Decision::DifferentPersons);
    linker.link_all(true, &Quiet);
    assert_ne!(linker.cluster_of("trad-1"), linker.cluster_of("trad-2"));
    // And incrementally: a new record matching both sides cannot bridge the rejection.
    linker.add(&rec(
        "trad-3",
        "",
        "林丽华",
        "2013-02-03",
        "护苗县城关镇北岸村5号",
        &[],
    ));
    linker.link_new(&Quiet);
    assert_ne!(linker.cluster_of("trad-1"), linker.cluster_of("trad-2"));
    assert!(linker
        .review_queue()
        .iter()
        .all(|p| !(p.a == "same-1" && p.b == "same-2")));
}

#[test]
fn adding_the_same_record_twice_is_harmless() {
    let c = county(100, 5);
    let mut linker = linked(&c.records);
    let before = partition(&linker);
    for r in &c.records {
        linker.add(r);
    }
    let run = linker.link_new(&Quiet);
    assert_eq!(run.linked_records, 0);
    assert_eq!(partition(&linker), before);
}
