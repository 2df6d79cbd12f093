//! The synthetic county's ground truth, recovered through the real import, link and assess path:
//! every child the generator placed in a category is found in it, and no other child is.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use humiao_core::alert::AlertParams;
use humiao_core::policy::Category;
use humiao_core::CitizenId;
use humiao_demo::DemoConfig;
use humiao_pipeline::{assess_all, import_file, link_records, load_mapping, LinkOptions};
use humiao_store::Store;

#[tokio::test]
async fn assessed_categories_match_the_generators_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let county = humiao_demo::generate(
        &DemoConfig {
            children: 1500,
            seed: 7,
            as_of,
        },
        &dir.path().join("input"),
    )
    .unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    store.upsert_regions(&county.regions).await.unwrap();
    for spec in &county.imports {
        let mapping = load_mapping(spec.department, &spec.mapping).unwrap();
        for file in &spec.files {
            import_file(&store, &mapping, file, "test", &())
                .await
                .unwrap();
        }
    }
    link_records(&store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    assess_all(
        &store,
        as_of,
        &humiao_rules::national(),
        &AlertParams::default(),
    )
    .await
    .unwrap();

    let population = store.load_population().await.unwrap();
    let by_citizen_id: HashMap<&CitizenId, _> = population
        .persons
        .iter()
        .filter_map(|p| p.citizen_id.as_ref().map(|c| (c, p.id)))
        .collect();
    let mut decided: HashMap<_, BTreeSet<Category>> = HashMap::new();
    for (person, category) in &population.categories {
        decided.entry(*person).or_default().insert(*category);
    }
    let mut checked = 0;
    let mut mismatches = Vec::new();
    let mut expected_total = 0;
    for child in &county.truth {
        let Some(id) = child.citizen_id.as_ref().and_then(|c| by_citizen_id.get(c)) else {
            continue;
        };
        let expected: BTreeSet<Category> = child.expected.iter().copied().collect();
        expected_total += expected.len();
        let got = decided.remove(id).unwrap_or_default();
        if got != expected {
            mismatches.push(format!(
                "{}: expected {expected:?}, got {got:?}",
                child.name
            ));
        }
        checked += 1;
    }
    assert!(checked > 100, "only {checked} truth children found");
    assert!(expected_total > 50);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Nobody outside the ground truth was given a category.
    assert!(decided.is_empty(), "unexpected categories: {decided:?}");
}
