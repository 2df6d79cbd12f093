//! `humiao-linkbench score`: how well a clustering of records matches the truth.
//!
//! Pairwise precision, recall and F1 are over all pairs of records placed in one cluster;
//! B-cubed precision and recall average, over records, the share of a record's cluster that is
//! its person and the share of its person that is in its cluster. Both come from the
//! contingency table (cluster × person → records), so no pair is ever enumerated: two million
//! records score in seconds.
//!
//! A record absent from the clusters file (or with an empty cluster) is a singleton. Records in
//! the clusters file but not in the truth are ignored and counted.

use std::path::Path;

use anyhow::Context;
use rustc_hash::FxHashMap;

/// Scores of one clustering.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub records: u64,
    pub persons: u64,
    pub clusters: u64,
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    pub pairwise_precision: f64,
    pub pairwise_recall: f64,
    pub pairwise_f1: f64,
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    pub bcubed_f1: f64,
    /// Records in the clusters file that the truth does not know.
    pub unknown_records: u64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// A ratio that is perfect when there is nothing to get wrong.
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

/// Counts records per (cluster, person) cell; cluster and person are dense indices.
#[derive(Debug, Default)]
pub struct Contingency {
    cells: FxHashMap<(u32, u32), u64>,
    clusters: u32,
    persons: u32,
}

impl Contingency {
    /// Adds one record of `person` placed in `cluster`.
    pub fn add(&mut self, cluster: u32, person: u32) {
        *self.cells.entry((cluster, person)).or_default() += 1;
        self.clusters = self.clusters.max(cluster + 1);
        self.persons = self.persons.max(person + 1);
    }

    pub fn scores(&self) -> Scores {
        let mut cluster_size = vec![0u64; self.clusters as usize];
        let mut person_size = vec![0u64; self.persons as usize];
        for (&(c, p), &n) in &self.cells {
            cluster_size[c as usize] += n;
            person_size[p as usize] += n;
        }
        let records: u64 = person_size.iter().sum();
        let correct_pairs: u64 = self.cells.values().map(|&n| pairs(n)).sum();
        let predicted_pairs: u64 = cluster_size.iter().map(|&n| pairs(n)).sum();
        let true_pairs: u64 = person_size.iter().map(|&n| pairs(n)).sum();
        // B³: record r in cell (c, p) has precision n/|c| and recall n/|p|; the n records of
        // the cell contribute n²/|c| and n²/|p|.
        let (mut bp, mut br) = (0.0, 0.0);
        for (&(c, p), &n) in &self.cells {
            let n = n as f64;
            bp += n * n / cluster_size[c as usize] as f64;
            br += n * n / person_size[p as usize] as f64;
        }
        let (bcubed_precision, bcubed_recall) = if records == 0 {
            (1.0, 1.0)
        } else {
            (bp / records as f64, br / records as f64)
        };
        let pairwise_precision = ratio(correct_pairs, predicted_pairs);
        let pairwise_recall = ratio(correct_pairs, true_pairs);
        Scores {
            records,
            persons: person_size.iter().filter(|&&n| n > 0).count() as u64,
            clusters: cluster_size.iter().filter(|&&n| n > 0).count() as u64,
            true_pairs,
            predicted_pairs,
            correct_pairs,
            pairwise_precision,
            pairwise_recall,
            pairwise_f1: f1(pairwise_precision, pairwise_recall),
            bcubed_precision,
            bcubed_recall,
            bcubed_f1: f1(bcubed_precision, bcubed_recall),
            unknown_records: 0,
        }
    }
}

/// Interns strings as dense indices.
#[derive(Default)]
struct Interner {
    ids: FxHashMap<Box<str>, u32>,
}

impl Interner {
    fn index(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.ids.get(key) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.insert(key.into(), i);
        i
    }

    fn len(&self) -> u32 {
        self.ids.len() as u32
    }
}

/// Which cluster each record was put in.
#[derive(Default)]
struct Assignments {
    clusters: Interner,
    of: FxHashMap<Box<str>, u32>,
}

impl Assignments {
    /// Records `record` in `cluster`; false if the record already has a cluster. An empty
    /// cluster leaves the record unassigned.
    fn insert(&mut self, record: &str, cluster: &str) -> bool {
        if cluster.is_empty() {
            return true;
        }
        let c = self.clusters.index(cluster);
        self.of.insert(record.into(), c).is_none()
    }

    fn tally(&self) -> Tally<'_> {
        Tally {
            assignments: self,
            persons: Interner::default(),
            table: Contingency::default(),
            next_singleton: self.clusters.len(),
            seen: 0,
        }
    }
}

/// The truth, record by record, against the assignments.
struct Tally<'a> {
    assignments: &'a Assignments,
    persons: Interner,
    table: Contingency,
    next_singleton: u32,
    seen: u64,
}

impl Tally<'_> {
    fn add(&mut self, record: &str, person: &str) {
        let p = self.persons.index(person);
        let c = match self.assignments.of.get(record) {
            Some(&c) => {
                self.seen += 1;
                c
            }
            None => {
                self.next_singleton += 1;
                self.next_singleton - 1
            }
        };
        self.table.add(c, p);
    }

    fn finish(self) -> Scores {
        let mut scores = self.table.scores();
        scores.unknown_records = self.assignments.of.len() as u64 - self.seen;
        scores
    }
}

/// Scores in-memory rows: `truth` is (record, person), `clusters` is (record, cluster); a
/// record listed twice in `clusters` keeps its last cluster.
pub fn score<'a>(
    truth: impl IntoIterator<Item = (&'a str, &'a str)>,
    clusters: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Scores {
    let mut assignments = Assignments::default();
    for (record, cluster) in clusters {
        assignments.insert(record, cluster);
    }
    let mut tally = assignments.tally();
    for (record, person) in truth {
        tally.add(record, person);
    }
    tally.finish()
}

/// Scores a clusters file (`record_id,cluster_id`) against a truth file
/// (`record_id,person_id`), streaming the truth.
pub fn score_files(truth: &Path, clusters: &Path) -> anyhow::Result<Scores> {
    let mut assignments = Assignments::default();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(clusters)
        .with_context(|| format!("opening {}", clusters.display()))?;
    let mut row = csv::StringRecord::new();
    while reader
        .read_record(&mut row)
        .with_context(|| format!("reading {}", clusters.display()))?
    {
        let record = row.get(0).unwrap_or("");
        let cluster = row.get(1).unwrap_or("").trim();
        anyhow::ensure!(
            assignments.insert(record, cluster),
            "{}: record {record} appears twice",
            clusters.display()
        );
    }
    let mut tally = assignments.tally();
    let mut reader =
        csv::Reader::from_path(truth).with_context(|| format!("opening {}", truth.display()))?;
    while reader
        .read_record(&mut row)
        .with_context(|| format!("reading {}", truth.display()))?
    {
        tally.add(row.get(0).unwrap_or(""), row.get(1).unwrap_or(""));
    }
    Ok(tally.finish())
}

impl Scores {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "records": self.records,
            "persons": self.persons,
            "clusters": self.clusters,
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "pairwise_precision": self.pairwise_precision,
            "pairwise_recall": self.pairwise_recall,
            "pairwise_f1": self.pairwise_f1,
            "bcubed_precision": self.bcubed_precision,
            "bcubed_recall": self.bcubed_recall,
            "bcubed_f1": self.bcubed_f1,
            "unknown_records": self.unknown_records,
        })
    }

    /// A small plain-text table.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "records {}  persons {}  clusters {}\n\
             pairs: true {}  predicted {}  correct {}\n\
             {:<9} {:>9} {:>9} {:>9}\n\
             {:<9} {:>9.4} {:>9.4} {:>9.4}\n\
             {:<9} {:>9.4} {:>9.4} {:>9.4}\n",
            self.records,
            self.persons,
            self.clusters,
            self.true_pairs,
            self.predicted_pairs,
            self.correct_pairs,
            "",
            "precision",
            "recall",
            "F1",
            "pairwise",
            self.pairwise_precision,
            self.pairwise_recall,
            self.pairwise_f1,
            "B-cubed",
            self.bcubed_precision,
            self.bcubed_recall,
            self.bcubed_f1,
        );
        if self.unknown_records > 0 {
            out.push_str(&format!(
                "({} clustered records are not in the truth and were ignored)\n",
                self.unknown_records
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records a b c are person 1, d e person 2.
    const TRUTH: [(&str, &str); 5] = [("a", "1"), ("b", "1"), ("c", "1"), ("d", "2"), ("e", "2")];

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() < 1e-12
    }

    #[test]
    fn perfect_clustering_scores_one() {
        let s = score(
            TRUTH,
            [("a", "x"), ("b", "x"), ("c", "x"), ("d", "y"), ("e", "y")],
        );
        assert_eq!(
            (s.true_pairs, s.predicted_pairs, s.correct_pairs),
            (4, 4, 4)
        );
        assert!(close(s.pairwise_f1, 1.0) && close(s.bcubed_f1, 1.0));
    }

    #[test]
    fn all_singletons_have_full_precision_and_no_pairwise_recall() {
        let s = score(TRUTH, []);
        assert_eq!(s.clusters, 5);
        assert!(close(s.pairwise_precision, 1.0));
        assert!(close(s.pairwise_recall, 0.0));
        assert!(close(s.pairwise_f1, 0.0));
        assert!(close(s.bcubed_precision, 1.0));
        // a b c: 1/3 each; d e: 1/2 each → (1 + 1) / 5.
        assert!(close(s.bcubed_recall, 0.4));
    }

    #[test]
    fn all_merged_has_full_recall() {
        let all = TRUTH.map(|(r, _)| (r, "x"));
        let s = score(TRUTH, all);
        assert_eq!((s.predicted_pairs, s.correct_pairs), (10, 4));
        assert!(close(s.pairwise_precision, 0.4));
        assert!(close(s.pairwise_recall, 1.0));
        // a b c: 3/5 each, d e: 2/5 each → 13/25.
        assert!(close(s.bcubed_precision, 13.0 / 25.0));
        assert!(close(s.bcubed_recall, 1.0));
    }

    #[test]
    fn mixed_case_by_hand() {
        // Clusters {a b} {c d} {e}. True pairs ab ac bc de; predicted ab cd; correct ab.
        let s = score(
            TRUTH,
            [("a", "x"), ("b", "x"), ("c", "y"), ("d", "y"), ("e", "z")],
        );
        assert!(close(s.pairwise_precision, 0.5));
        assert!(close(s.pairwise_recall, 0.25));
        assert!(close(s.pairwise_f1, 1.0 / 3.0));
        // B³ precision: a 1, b 1, c 1/2, d 1/2, e 1 → 4/5.
        assert!(close(s.bcubed_precision, 0.8));
        // B³ recall: a 2/3, b 2/3, c 1/3, d 1/2, e 1/2 → (8/3)/5 = 8/15.
        assert!(close(s.bcubed_recall, 8.0 / 15.0));
        assert!(close(
            s.bcubed_f1,
            2.0 * 0.8 * (8.0 / 15.0) / (0.8 + 8.0 / 15.0)
        ));
    }

    #[test]
    fn missing_and_empty_clusters_are_singletons_and_strangers_are_counted() {
        let s = score(TRUTH, [("a", "x"), ("b", "x"), ("c", ""), ("zz", "x")]);
        assert_eq!(s.predicted_pairs, 1);
        assert_eq!(s.unknown_records, 1);
        assert_eq!(s.records, 5);
    }

    #[test]
    fn files_score_like_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let truth = dir.path().join("truth.csv");
        let clusters = dir.path().join("clusters.csv");
        std::fs::write(&truth, "record_id,person_id\na,1\nb,1\nc,1\nd,2\ne,2\n").expect("write");
        std::fs::write(&clusters, "record_id,cluster_id\na,x\nb,x\nc,y\nd,y\ne,z\n")
            .expect("write");
        let s = score_files(&truth, &clusters).expect("scores");
        assert!(close(s.pairwise_precision, 0.5) && close(s.bcubed_precision, 0.8));
        std::fs::write(&clusters, "record_id,cluster_id\na,x\na,y\n").expect("write");
        assert!(score_files(&truth, &clusters).is_err());
    }

    /// Pair counts by brute force, for the property tests.
    fn brute_force(persons: &[u8], clusters: &[u8]) -> (u64, u64, u64) {
        let (mut t, mut p, mut c) = (0, 0, 0);
        for i in 0..persons.len() {
            for j in i + 1..persons.len() {
                let same_person = persons[i] == persons[j];
                let same_cluster = clusters[i] == clusters[j];
                t += u64::from(same_person);
                p += u64::from(same_cluster);
                c += u64::from(same_person && same_cluster);
            }
        }
        (t, p, c)
    }

    fn rows(labels: &[u8], prefix: &str) -> Vec<(String, String)> {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("r{i}"), format!("{prefix}{l}")))
            .collect()
    }

    fn as_refs(rows: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
        rows.iter().map(|(a, b)| (a.as_str(), b.as_str()))
    }

    proptest! {
        #[test]
        fn perfect_clustering_always_scores_one(persons in proptest::collection::vec(0u8..30, 1..300)) {
            let truth = rows(&persons, "p");
            let clusters = rows(&persons, "c");
            let s = score(as_refs(&truth), as_refs(&clusters));
            prop_assert!(close(s.pairwise_precision, 1.0));
            prop_assert!(close(s.pairwise_recall, 1.0));
            prop_assert!(close(s.pairwise_f1, 1.0));
            prop_assert!(close(s.bcubed_f1, 1.0));
        }

        #[test]
        fn pair_counts_match_brute_force(
            labels in proptest::collection::vec((0u8..8, 0u8..8), 0..80)
        ) {
            let persons: Vec<u8> = labels.iter().map(|l| l.0).collect();
            let clusters: Vec<u8> = labels.iter().map(|l| l.1).collect();
            let s = score(as_refs(&rows(&persons, "p")), as_refs(&rows(&clusters, "c")));
            prop_assert_eq!((s.true_pairs, s.predicted_pairs, s.correct_pairs), brute_force(&persons, &clusters));
            for v in [s.pairwise_precision, s.pairwise_recall, s.bcubed_precision, s.bcubed_recall] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
        }
    }
}
