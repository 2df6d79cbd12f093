//! `--db URL`: the application's own assessment paths on a county in a database — the whole
//! county (read everything, assess, write in one transaction) and one child after a change
//! (read the child's family, assess, write) — timed from outside the functions.

use std::time::Instant;

use chrono::NaiveDate;
use humiao_core::alert::AlertParams;
use humiao_core::PersonId;
use humiao_store::Store;

/// What one `--db` run measured.
#[derive(Debug)]
pub struct DbFigures {
    pub persons: usize,
    pub children: usize,
    pub county_s: f64,
    pub one_child_ms: Vec<f64>,
}

impl DbFigures {
    /// The `q` quantile (0–1) of the one-child times, in milliseconds.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.one_child_ms.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return 0.0;
        }
        let i = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[i]
    }
}

/// Assesses the whole county once, then `samples` single children spread over the county,
/// each as `humiao assess --person` does.
pub async fn measure(url: &str, as_of: NaiveDate, samples: usize) -> anyhow::Result<DbFigures> {
    let store = Store::connect(url).await?;
    let pack = humiao_pipeline::active_pack(&store).await?;
    let params = AlertParams::default();
    let t = Instant::now();
    let report = humiao_pipeline::assess_all(&store, as_of, &pack, &params).await?;
    let county_s = t.elapsed().as_secs_f64();
    let population = store.load_population().await?;
    let minors: Vec<PersonId> = population
        .persons
        .iter()
        .filter(|p| p.is_minor_on(as_of))
        .map(|p| p.id)
        .collect();
    anyhow::ensure!(!minors.is_empty(), "the database holds no children");
    let step = (minors.len() / samples.max(1)).max(1);
    let mut one_child_ms = Vec::with_capacity(samples);
    for child in minors.iter().step_by(step).take(samples) {
        let t = Instant::now();
        humiao_pipeline::assess_children(&store, &[*child], as_of, &pack, &params).await?;
        one_child_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    store.close().await;
    Ok(DbFigures {
        persons: population.persons.len(),
        children: report.children,
        county_s,
        one_child_ms,
    })
}
