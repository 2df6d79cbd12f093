//! The linker: holds the prepared records, the blocking index, the model and the current clusters,
//! and links either everything (`link_all`) or only what arrived since the last run (`link_new`).
//!
//! Incremental runs give the same clusters as a full run with the same model: the new records'
//! candidates pull in the whole clusters they touch, and every cluster joined to those by a refused
//! edge, until nothing more is pulled in; that closed set is re-clustered from scratch exactly as a
//! full run would. Cluster ids are stable: a re-formed cluster keeps the id of the old cluster it
//! shares most records with; merges and splits are reported as events.

use std::time::Instant;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::blocking::{keys, rules_joining, BlockIndex, BlockingRule};
use crate::cluster::{cluster, Edge, Refusal};
use crate::compare::{compare, compare_id, pack, Field, Levels, FIELD_COUNT, MAX_LEVELS};
use crate::intern::Interner;
use crate::model::{anchored_m, expectation_maximisation, probability, u_from_counts, Model};
use crate::prepare::{prepare, FieldNote, InputRecord, Rec};

/// Tunable settings of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Posterior probability at or above which a pair is linked.
    pub match_probability: f64,
    /// Posterior probability at or above which a non-linked pair goes to clerical review.
    pub review_probability: f64,
    /// Blocks larger than this are not expanded into pairs (reported).
    pub max_block: usize,
    /// Random pairs sampled to estimate u.
    pub u_sample_pairs: usize,
    pub em_max_iterations: u32,
    /// Seed of the pair sampler (runs are reproducible).
    pub seed: u64,
    /// Worker threads for pair comparison (0: all available cores).
    pub threads: usize,
    /// Link records sharing a citizen ID whatever the other fields say.
    pub trust_exact_id: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            match_probability: 0.95,
            review_probability: 0.40,
            max_block: 3000,
            u_sample_pairs: 3_000_000,
            em_max_iterations: 60,
            seed: 0x6875_6d69_616f,
            threads: 0,
            trust_exact_id: true,
        }
    }
}

fn logit2(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

/// Receives progress; the CLI draws bars from it.
pub trait Observer: Sync {
    fn stage(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

/// Observes nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// How a clerk decided a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    SamePerson,
    DifferentPersons,
}

/// A pair awaiting clerical review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewPair {
    pub a: String,
    pub b: String,
    pub probability: f64,
    pub weight: f64,
}

/// A person in the review queue: a cluster `(0, id)` or a lone record `(1, index)`.
type Group = (u8, u64);
/// A queued pair: records a and b, probability, weight.
type ReviewEntry = (u32, u32, f64, f64);

/// A change in the clusters that dependent data must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClusterEvent {
    /// Every record of `from` now belongs to `into`; `from` no longer exists.
    Merged { from: u64, into: u64 },
    /// Some records of `from` formed the new cluster `into`.
    Split { from: u64, into: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    Full,
    Incremental,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRun {
    pub mode: RunMode,
    pub records: usize,
    /// Records linked in this run (all for a full run).
    pub linked_records: usize,
    pub candidate_pairs: u64,
    pub oversized_blocks: usize,
    pub clusters: usize,
    pub created: usize,
    pub events: Vec<ClusterEvent>,
    /// Joins made, by what joined them: citizen_id, id_repair, probabilistic, reviewer.
    pub joins_by_rule: Vec<(String, usize)>,
    pub refused_id_conflicts: usize,
    pub refused_by_reviewer: usize,
    pub review_queue: usize,
    pub model_estimated: bool,
    pub stages: Vec<(String, f64)>,
}

const UNASSIGNED: u64 = u64::MAX;

/// Stage timings of a run.
struct Stages {
    clock: Instant,
    done: Vec<(String, f64)>,
}

impl Stages {
    fn start() -> Self {
        Self {
            clock: Instant::now(),
            done: Vec::new(),
        }
    }

    fn lap(&mut self, name: &str) {
        let now = Instant::now();
        self.done.push((
            name.to_string(),
            now.duration_since(self.clock).as_secs_f64(),
        ));
        self.clock = now;
    }
}

/// Two record indices, smaller first.
type Pair = (u32, u32);

/// Evidence of one field in an explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidence {
    pub field: Field,
    pub label: String,
    pub level: u8,
    pub level_label: String,
    pub weight: f64,
    pub left: String,
    pub right: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairVerdict {
    Match,
    Review,
    NonMatch,
    AcceptedByReviewer,
    RejectedByReviewer,
}

impl PairVerdict {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Match => "判定为同一人",
            Self::Review => "待人工核对",
            Self::NonMatch => "判定为不同人",
            Self::AcceptedByReviewer => "人工核对：同一人",
            Self::RejectedByReviewer => "人工核对：不同人",
        }
    }
}

/// Why two records are, or are not, linked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairExplanation {
    pub a: String,
    pub b: String,
    pub fields: Vec<FieldEvidence>,
    pub prior_weight: f64,
    pub name_frequency_adjustment: f64,
    pub total_weight: f64,
    pub probability: f64,
    pub verdict: PairVerdict,
    pub blocking: Vec<BlockingRule>,
    pub same_cluster: bool,
    /// Set when the pair scores as a match but a constraint kept the records apart.
    pub constraint: Option<String>,
    /// Set when a deterministic rule linked the pair whatever its weight.
    pub rule: Option<String>,
}

/// Why one record belongs to its cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordExplanation {
    pub record: String,
    pub cluster: Option<u64>,
    pub notes: Vec<FieldNote>,
    /// Comparisons with the other records of its cluster, strongest first.
    pub links: Vec<PairExplanation>,
    /// The strongest candidates outside its cluster.
    pub near_misses: Vec<PairExplanation>,
}

pub struct Linker {
    config: LinkConfig,
    strings: Interner,
    keys: Vec<String>,
    by_key: FxHashMap<String, u32>,
    recs: Vec<Rec>,
    notes: FxHashMap<u32, Vec<FieldNote>>,
    index: BlockIndex,
    indexed: usize,
    linked: usize,
    cluster: Vec<u64>,
    members: FxHashMap<u64, Vec<u32>>,
    refused: FxHashMap<u32, Vec<u32>>,
    next_cluster: u64,
    model: Option<Model>,
    name_counts_by_sym: Vec<u32>,
    decisions: FxHashMap<(String, String), Decision>,
    review: FxHashMap<(u32, u32), (f64, f64)>,
    /// Saved records to re-link in the next incremental run (e.g. a clerk decided on them).
    dirty: Vec<u32>,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

fn pair_key(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

impl Linker {
    pub fn new(config: LinkConfig) -> Self {
        Self {
            config,
            strings: Interner::default(),
            keys: Vec::new(),
            by_key: FxHashMap::default(),
            recs: Vec::new(),
            notes: FxHashMap::default(),
            index: BlockIndex::default(),
            indexed: 0,
            linked: 0,
            cluster: Vec::new(),
            members: FxHashMap::default(),
            refused: FxHashMap::default(),
            next_cluster: 1,
            model: None,
            name_counts_by_sym: Vec::new(),
            decisions: FxHashMap::default(),
            review: FxHashMap::default(),
            dirty: Vec::new(),
        }
    }

    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// Uses a model estimated earlier (an incremental run must score as the full run did).
    pub fn set_model(&mut self, model: Model) {
        self.model = Some(model);
        self.name_counts_by_sym.clear();
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Ids below this are never handed out to new clusters.
    pub fn reserve_cluster_ids(&mut self, next: u64) {
        self.next_cluster = self.next_cluster.max(next);
    }

    /// Adds a record. A record key seen before is ignored (re-running an import is harmless).
    /// Returns the notes on malformed fields.
    pub fn add(&mut self, input: &InputRecord) -> Vec<FieldNote> {
        if self.by_key.contains_key(&input.key) {
            return Vec::new();
        }
        let (rec, notes) = prepare(input, &mut self.strings);
        let idx = self.recs.len() as u32;
        self.by_key.insert(input.key.clone(), idx);
        self.keys.push(input.key.clone());
        self.recs.push(rec);
        self.cluster.push(UNASSIGNED);
        if !notes.is_empty() {
            self.notes.insert(idx, notes.clone());
        }
        notes
    }

    /// Adds a record that an earlier run already placed in `cluster` (loading saved state).
    /// It is linked again only by a full run, or when a new record pulls its cluster in.
    pub fn add_linked(&mut self, input: &InputRecord, cluster_id: u64) {
        if self.by_key.contains_key(&input.key) {
            return;
        }
        assert_eq!(
            self.linked,
            self.recs.len(),
            "saved records are added before new ones"
        );
        self.add(input);
        let idx = (self.recs.len() - 1) as u32;
        self.cluster[idx as usize] = cluster_id;
        self.members.entry(cluster_id).or_default().push(idx);
        self.next_cluster = self.next_cluster.max(cluster_id + 1);
        self.linked = self.recs.len();
    }

    /// Remembers a refused edge between two saved records (so an incremental run sees it).
    pub fn add_refused_edge(&mut self, a: &str, b: &str) {
        if let (Some(&x), Some(&y)) = (self.by_key.get(a), self.by_key.get(b)) {
            self.refused.entry(x).or_default().push(y);
            self.refused.entry(y).or_default().push(x);
        }
    }

    /// Makes the next incremental run re-link a saved record (it keeps its cluster id unless the
    /// re-linking moves it).
    pub fn mark_dirty(&mut self, key: &str) {
        if let Some(&idx) = self.by_key.get(key) {
            self.dirty.push(idx);
        }
    }

    /// Restores a saved review-queue entry (between saved records).
    pub fn restore_review(&mut self, a: &str, b: &str, probability: f64, weight: f64) {
        if let (Some(&x), Some(&y)) = (self.by_key.get(a), self.by_key.get(b)) {
            if self.decision_between(x, y).is_none() {
                self.review.insert(pair_key(x, y), (probability, weight));
            }
        }
    }

    /// Records a clerk's decision; later runs respect it.
    pub fn decide(&mut self, a: &str, b: &str, decision: Decision) {
        self.decisions.insert(ordered(a, b), decision);
        if let (Some(&x), Some(&y)) = (self.by_key.get(a), self.by_key.get(b)) {
            self.review.remove(&pair_key(x, y));
        }
    }

    pub fn cluster_of(&self, key: &str) -> Option<u64> {
        let &idx = self.by_key.get(key)?;
        let c = self.cluster[idx as usize];
        (c != UNASSIGNED).then_some(c)
    }

    /// Every record key with its cluster id, in the order added.
    pub fn assignments(&self) -> impl Iterator<Item = (&str, Option<u64>)> + '_ {
        self.keys
            .iter()
            .zip(&self.cluster)
            .map(|(k, &c)| (k.as_str(), (c != UNASSIGNED).then_some(c)))
    }

    pub fn members_of(&self, cluster_id: u64) -> Vec<&str> {
        self.members
            .get(&cluster_id)
            .map(|m| m.iter().map(|&i| self.keys[i as usize].as_str()).collect())
            .unwrap_or_default()
    }

    /// Refused edges as key pairs (each once), for saving.
    pub fn refused_edges(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        for (&a, partners) in &self.refused {
            for &b in partners {
                if a < b {
                    out.push((
                        self.keys[a as usize].as_str(),
                        self.keys[b as usize].as_str(),
                    ));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The clerical review queue, most likely matches first: one pair per two persons (the
    /// strongest), and only where accepting it could join them — never two persons holding
    /// different valid IDs or already kept apart by a clerk.
    pub fn review_queue(&self) -> Vec<ReviewPair> {
        let mut out: Vec<ReviewPair> = self
            .review_entries()
            .into_iter()
            .map(|(a, b, p, w)| ReviewPair {
                a: self.keys[a as usize].clone(),
                b: self.keys[b as usize].clone(),
                probability: p,
                weight: w,
            })
            .collect();
        out.sort_by(|x, y| {
            y.weight
                .total_cmp(&x.weight)
                .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
        });
        out
    }

    fn review_entries(&self) -> Vec<ReviewEntry> {
        // A record not in any cluster stands for itself.
        let group = |r: u32| match self.cluster[r as usize] {
            UNASSIGNED => (1u8, u64::from(r)),
            c => (0u8, c),
        };
        let mut valid_id: FxHashMap<Group, Option<[u8; 18]>> = FxHashMap::default();
        let mut id_of = |r: u32| {
            *valid_id
                .entry(group(r))
                .or_insert_with(|| self.cluster_valid_ids(r).first().copied())
        };
        let (_, rejected) = self.decided_pairs(None);
        let kept_apart: FxHashSet<(Group, Group)> = rejected
            .iter()
            .map(|&(a, b)| {
                let (x, y) = (group(a), group(b));
                (x.min(y), x.max(y))
            })
            .collect();
        let mut best: FxHashMap<(Group, Group), ReviewEntry> = FxHashMap::default();
        for (&(a, b), &(p, w)) in &self.review {
            let (x, y) = (group(a), group(b));
            if x == y {
                continue;
            }
            let key = (x.min(y), x.max(y));
            if kept_apart.contains(&key) {
                continue;
            }
            if let (Some(i), Some(j)) = (id_of(a), id_of(b)) {
                if i != j {
                    continue;
                }
            }
            let entry = best.entry(key).or_insert((a, b, p, w));
            if (w, std::cmp::Reverse((a, b))) > (entry.3, std::cmp::Reverse((entry.0, entry.1))) {
                *entry = (a, b, p, w);
            }
        }
        best.into_values().collect()
    }

    fn refresh_name_counts(&mut self) {
        let Some(model) = &self.model else { return };
        let have = self.name_counts_by_sym.len();
        for i in have..self.strings.len() {
            let s = self.strings.resolve(crate::intern::Sym(i as u32));
            self.name_counts_by_sym
                .push(model.name_counts.get(s).copied().unwrap_or(0));
        }
    }

    fn threads(&self) -> usize {
        if self.config.threads > 0 {
            self.config.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }

    /// Compares many pairs in parallel.
    fn compare_pairs(&self, pairs: &[(u32, u32)], observer: &dyn Observer) -> Vec<u32> {
        let threads = self.threads().max(1);
        let chunk = pairs.len().div_ceil(threads).max(1);
        let mut out = vec![0u32; pairs.len()];
        std::thread::scope(|scope| {
            for (src, dst) in pairs.chunks(chunk).zip(out.chunks_mut(chunk)) {
                scope.spawn(move || {
                    for (i, &(a, b)) in src.iter().enumerate() {
                        dst[i] = pack(&compare(
                            &self.recs[a as usize],
                            &self.recs[b as usize],
                            &self.strings,
                        ));
                        if i % 65536 == 65535 {
                            observer.advance(65536);
                        }
                    }
                });
            }
        });
        out
    }

    fn tf_adjustment(&self, model: &Model, a: u32, levels: &Levels) -> f64 {
        if levels[Field::Name.index()] != 1 {
            return 0.0;
        }
        let name = self.recs[a as usize].name;
        let count = self
            .name_counts_by_sym
            .get(name.0 as usize)
            .copied()
            .unwrap_or(0)
            .max(1);
        model.name_tf_adjustment(count)
    }

    /// The weight a pair is linked on: the Fellegi–Sunter sum, raised to the match threshold when
    /// the pair shares a citizen ID and the configuration trusts that (the ID is a national unique
    /// identifier; departments link on it).
    fn total_weight(&self, model: &Model, a: u32, levels: &Levels, pattern_weight: f64) -> f64 {
        let w = model.prior_weight() + pattern_weight + self.tf_adjustment(model, a, levels);
        if self.config.trust_exact_id && levels[Field::CitizenId.index()] == 1 {
            w.max(logit2(self.config.match_probability) + 1.0)
        } else {
            w
        }
    }

    fn estimate(&self, patterns: &[u32]) -> Model {
        // u: random pairs.
        let n = self.recs.len() as u64;
        let mut counts = [[0u64; MAX_LEVELS]; FIELD_COUNT];
        if n >= 2 {
            let mut state = self.config.seed | 1;
            let mut next = || {
                // xorshift64*: reproducible without a dependency.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                state.wrapping_mul(0x2545_f491_4f6c_dd1d)
            };
            let total_pairs = n * (n - 1) / 2;
            // Twenty pairs per record is plenty for u; the cap keeps a county of millions quick.
            let samples = (self.config.u_sample_pairs as u64)
                .min((20 * n).max(200_000))
                .min(total_pairs.max(1));
            let mut sample = Vec::with_capacity(samples as usize);
            while (sample.len() as u64) < samples {
                let a = (next() % n) as u32;
                let b = (next() % n) as u32;
                if a != b {
                    sample.push((a, b));
                }
            }
            for packed in self.compare_pairs(&sample, &Quiet) {
                let levels = crate::compare::unpack(packed);
                for f in 0..FIELD_COUNT {
                    counts[f][levels[f] as usize] += 1;
                }
            }
        }
        // The ID embeds the birth date, which is compared on its own: the ID's u is taken among
        // different persons born on the same day, or its evidence would be counted twice.
        let id = Field::CitizenId.index();
        counts[id] = self.same_birthday_id_counts();
        let u = u_from_counts(&counts);
        let mut pattern_counts: FxHashMap<u32, u64> = FxHashMap::default();
        for &p in patterns {
            *pattern_counts.entry(p).or_default() += 1;
        }
        let anchored = anchored_m(&pattern_counts);
        let em = expectation_maximisation(
            &pattern_counts,
            &u,
            self.config.em_max_iterations,
            anchored.as_ref(),
        );
        let all_pairs = (n * n.saturating_sub(1) / 2).max(1) as f64;
        let mut name_counts: FxHashMap<String, u32> = FxHashMap::default();
        for rec in &self.recs {
            if rec.name.is_some() {
                *name_counts
                    .entry(self.strings.resolve(rec.name).to_string())
                    .or_default() += 1;
            }
        }
        Model {
            m: em.m,
            u,
            prior: (em.expected_matches / all_pairs).clamp(1e-12, 0.5),
            records: n,
            name_counts,
            em_iterations: em.iterations,
            em_converged: em.converged,
        }
    }

    /// ID comparison levels of randomly sampled pairs of records with IDs, the same birth date and
    /// different name pinyin (so almost surely different persons).
    fn same_birthday_id_counts(&self) -> [u64; MAX_LEVELS] {
        let mut counts = [0u64; MAX_LEVELS];
        let mut by_birth: Vec<(chrono::NaiveDate, u32)> = self
            .recs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.id.bytes().is_some() && r.name_pinyin.is_some())
            .filter_map(|(i, r)| Some((r.birth?, i as u32)))
            .collect();
        if by_birth.len() < 2 {
            return counts;
        }
        by_birth.sort_unstable();
        // Each record's birth-date group as a range of `by_birth`.
        let mut group_end = vec![0usize; by_birth.len()];
        let mut group_start = vec![0usize; by_birth.len()];
        let mut start = 0;
        for i in 1..=by_birth.len() {
            if i == by_birth.len() || by_birth[i].0 != by_birth[start].0 {
                for k in start..i {
                    group_start[k] = start;
                    group_end[k] = i;
                }
                start = i;
            }
        }
        let mut state = self.config.seed.rotate_left(17) | 1;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let n = by_birth.len() as u64;
        let samples = (self.config.u_sample_pairs as u64).min((10 * n).max(100_000));
        let mut tries = 0;
        let mut taken = 0;
        while taken < samples && tries < 4 * samples {
            tries += 1;
            let i = (next() % n) as usize;
            let size = (group_end[i] - group_start[i]) as u64;
            if size < 2 {
                continue;
            }
            let j = group_start[i] + (next() % size) as usize;
            let (a, b) = (
                &self.recs[by_birth[i].1 as usize],
                &self.recs[by_birth[j].1 as usize],
            );
            if i == j || a.name_pinyin == b.name_pinyin {
                continue;
            }
            counts[crate::compare::compare_id(&a.id, &b.id) as usize] += 1;
            taken += 1;
        }
        counts
    }

    fn index_new_records(&mut self) {
        let mut entries = Vec::new();
        let mut buf = Vec::new();
        for idx in self.indexed..self.recs.len() {
            buf.clear();
            keys(&self.recs[idx], &mut buf);
            entries.extend(buf.iter().map(|&k| (k, idx as u32)));
        }
        if self.indexed == 0 {
            self.index = BlockIndex::build(entries);
        } else {
            self.index.extend(entries);
        }
        self.indexed = self.recs.len();
    }

    /// Builds the blocking index over every record without linking (for explanations from a
    /// saved state).
    pub fn index_all(&mut self) {
        self.index_new_records();
        self.refresh_name_counts();
    }

    /// Candidate pairs among `nodes` (or all records when `None`), each once, a < b.
    fn candidate_pairs(&self, nodes: Option<&FxHashSet<u32>>) -> (Vec<(u32, u32)>, usize) {
        let mut pairs: Vec<u64> = Vec::new();
        let mut oversized = 0;
        match nodes {
            None => {
                for block in self.index.blocks() {
                    if block.len() > self.config.max_block {
                        oversized += 1;
                        continue;
                    }
                    for i in 0..block.len() {
                        for j in i + 1..block.len() {
                            let (a, b) = (block[i].1, block[j].1);
                            pairs.push((u64::from(a) << 32) | u64::from(b));
                        }
                    }
                }
            }
            Some(nodes) => {
                let mut buf = Vec::new();
                let mut sorted: Vec<u32> = nodes.iter().copied().collect();
                sorted.sort_unstable();
                for &a in &sorted {
                    buf.clear();
                    keys(&self.recs[a as usize], &mut buf);
                    for &k in &buf {
                        let block = self.index.block(k);
                        if block.len() > self.config.max_block {
                            oversized += 1;
                            continue;
                        }
                        for &(_, b) in block {
                            if b > a && nodes.contains(&b) {
                                pairs.push((u64::from(a) << 32) | u64::from(b));
                            }
                        }
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        (
            pairs
                .into_iter()
                .map(|p| ((p >> 32) as u32, p as u32))
                .collect(),
            oversized,
        )
    }

    fn decision_between(&self, a: u32, b: u32) -> Option<Decision> {
        if self.decisions.is_empty() {
            return None;
        }
        self.decisions
            .get(&ordered(&self.keys[a as usize], &self.keys[b as usize]))
            .copied()
    }

    /// Decided pairs among `nodes` (all when None), as record indices.
    fn decided_pairs(&self, nodes: Option<&FxHashSet<u32>>) -> (Vec<Pair>, Vec<Pair>) {
        let mut accept = Vec::new();
        let mut reject = Vec::new();
        for ((a, b), d) in &self.decisions {
            let (Some(&x), Some(&y)) = (self.by_key.get(a), self.by_key.get(b)) else {
                continue;
            };
            if let Some(nodes) = nodes {
                if !nodes.contains(&x) || !nodes.contains(&y) {
                    continue;
                }
            }
            match d {
                Decision::SamePerson => accept.push(pair_key(x, y)),
                Decision::DifferentPersons => reject.push(pair_key(x, y)),
            }
        }
        accept.sort_unstable();
        reject.sort_unstable();
        (accept, reject)
    }

    /// Links every record from scratch, re-estimating the model when asked (or when there is none).
    pub fn link_all(&mut self, reestimate: bool, observer: &dyn Observer) -> LinkRun {
        let mut stages = Stages::start();
        observer.stage("blocking", self.recs.len() as u64);
        self.index_new_records();
        let (pairs, oversized) = self.candidate_pairs(None);
        stages.lap("blocking");
        observer.stage("comparing", pairs.len() as u64);
        let patterns = self.compare_pairs(&pairs, observer);
        stages.lap("comparing");
        let estimated = reestimate || self.model.is_none();
        if estimated {
            observer.stage("estimating", 0);
            let model = self.estimate(&patterns);
            self.set_model(model);
            stages.lap("estimating");
        }
        self.refresh_name_counts();
        let nodes: Vec<u32> = (0..self.recs.len() as u32).collect();
        let mut run = self.cluster_and_assign(&nodes, None, &pairs, &patterns, observer);
        stages.lap("clustering");
        run.mode = RunMode::Full;
        run.candidate_pairs = pairs.len() as u64;
        run.oversized_blocks = oversized;
        run.model_estimated = estimated;
        run.linked_records = self.recs.len();
        run.stages = stages.done;
        self.linked = self.recs.len();
        run
    }

    /// Links only records added since the last run, with the current model.
    pub fn link_new(&mut self, observer: &dyn Observer) -> LinkRun {
        if self.model.is_none() {
            return self.link_all(true, observer);
        }
        let mut stages = Stages::start();
        let first_new = self.linked;
        if self.indexed < first_new {
            // Saved records loaded without an index: index them too.
            self.indexed = 0;
        }
        self.index_new_records();
        self.refresh_name_counts();
        let model = self.model.clone().expect("model present");
        stages.lap("blocking");
        // 1. Candidates of the new records.
        let mut new: Vec<u32> = (first_new as u32..self.recs.len() as u32).collect();
        let fresh_count = new.len();
        new.extend(std::mem::take(&mut self.dirty));
        new.sort_unstable();
        new.dedup();
        let mut first_pairs: Vec<u64> = Vec::new();
        let mut buf = Vec::new();
        let mut oversized = 0;
        for &a in &new {
            buf.clear();
            keys(&self.recs[a as usize], &mut buf);
            for &k in &buf {
                let block = self.index.block(k);
                if block.len() > self.config.max_block {
                    oversized += 1;
                    continue;
                }
                for &(_, b) in block {
                    if b != a {
                        let (x, y) = pair_key(a, b);
                        first_pairs.push((u64::from(x) << 32) | u64::from(y));
                    }
                }
            }
        }
        first_pairs.sort_unstable();
        first_pairs.dedup();
        let first_pairs: Vec<(u32, u32)> = first_pairs
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect();
        let first_patterns = self.compare_pairs(&first_pairs, &Quiet);
        let match_weight = logit2(self.config.match_probability);
        // 2. The closed set: new records, the clusters they match, and clusters joined by refusals.
        let mut set: FxHashSet<u32> = new.iter().copied().collect();
        let mut work: Vec<u32> = Vec::new();
        let (accepted, _) = self.decided_pairs(None);
        let accepted_partner: FxHashMap<u32, Vec<u32>> = {
            let mut m: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
            for &(a, b) in &accepted {
                m.entry(a).or_default().push(b);
                m.entry(b).or_default().push(a);
            }
            m
        };
        for (&(a, b), &packed) in first_pairs.iter().zip(&first_patterns) {
            let levels = crate::compare::unpack(packed);
            let w = self.total_weight(&model, a, &levels, model.pattern_weight(&levels));
            if w >= match_weight {
                work.push(a);
                work.push(b);
            }
        }
        for &a in &new {
            if let Some(p) = accepted_partner.get(&a) {
                work.extend(p);
            }
        }
        let mut seen_clusters: FxHashSet<u64> = FxHashSet::default();
        while let Some(r) = work.pop() {
            let c = self.cluster[r as usize];
            let newly = set.insert(r);
            if c != UNASSIGNED && seen_clusters.insert(c) {
                if let Some(ms) = self.members.get(&c) {
                    for &m in ms {
                        if set.insert(m) {
                            work.push(m);
                        }
                    }
                }
            }
            if newly || c != UNASSIGNED {
                if let Some(partners) = self.refused.get(&r) {
                    for &p in partners {
                        if !set.contains(&p) {
                            work.push(p);
                        }
                    }
                }
                if let Some(partners) = accepted_partner.get(&r) {
                    for &p in partners {
                        if !set.contains(&p) {
                            work.push(p);
                        }
                    }
                }
            }
        }
        stages.lap("candidates");
        // 3. Re-cluster the closed set as a full run would.
        let (pairs, more_oversized) = self.candidate_pairs(Some(&set));
        let patterns = self.compare_pairs(&pairs, &Quiet);
        let mut nodes: Vec<u32> = set.iter().copied().collect();
        nodes.sort_unstable();
        let mut run = self.cluster_and_assign(&nodes, Some(&set), &pairs, &patterns, observer);
        // Review candidates between new records and records outside the set.
        let review_weight = logit2(self.config.review_probability);
        for (&(a, b), &packed) in first_pairs.iter().zip(&first_patterns) {
            if set.contains(&a) && set.contains(&b) {
                continue;
            }
            let levels = crate::compare::unpack(packed);
            let w = self.total_weight(&model, a, &levels, model.pattern_weight(&levels));
            if w >= review_weight
                && self.cluster[a as usize] != self.cluster[b as usize]
                && self.decision_between(a, b).is_none()
            {
                self.review.insert((a, b), (probability(w), w));
            }
        }
        run.review_queue = self.review_entries().len();
        stages.lap("clustering");
        run.mode = RunMode::Incremental;
        run.candidate_pairs = (first_pairs.len() + pairs.len()) as u64;
        run.oversized_blocks = oversized + more_oversized;
        run.linked_records = fresh_count;
        run.stages = stages.done;
        self.linked = self.recs.len();
        run
    }

    /// Scores `pairs` (among `nodes`), clusters `nodes`, gives clusters stable ids and refreshes the
    /// review queue for them.
    fn cluster_and_assign(
        &mut self,
        nodes: &[u32],
        subset: Option<&FxHashSet<u32>>,
        pairs: &[(u32, u32)],
        patterns: &[u32],
        observer: &dyn Observer,
    ) -> LinkRun {
        observer.stage("clustering", nodes.len() as u64);
        let model = self
            .model
            .clone()
            .expect("model estimated before clustering");
        let match_weight = logit2(self.config.match_probability);
        let review_weight = logit2(self.config.review_probability);
        let mut weight_of_pattern: FxHashMap<u32, f64> = FxHashMap::default();
        let mut edges = Vec::new();
        let mut reviewable = Vec::new();
        let (accepted, rejected) = self.decided_pairs(subset);
        let rejected_set: FxHashSet<(u32, u32)> = rejected.iter().copied().collect();
        for (&(a, b), &packed) in pairs.iter().zip(patterns) {
            let levels = crate::compare::unpack(packed);
            let pw = *weight_of_pattern
                .entry(packed)
                .or_insert_with(|| model.pattern_weight(&levels));
            let w = self.total_weight(&model, a, &levels, pw);
            if rejected_set.contains(&(a, b)) {
                continue;
            }
            if w >= match_weight {
                edges.push(Edge { a, b, weight: w });
            } else if w >= review_weight {
                reviewable.push((a, b, w));
            }
        }
        let accepted_set: FxHashSet<(u32, u32)> = accepted.iter().copied().collect();
        for &(a, b) in &accepted {
            edges.push(Edge {
                a,
                b,
                weight: f64::INFINITY,
            });
        }
        let recs = &self.recs;
        let clustering = cluster(
            nodes,
            edges.clone(),
            |n| recs[n as usize].id.valid().copied(),
            &rejected,
        );
        // Refused edges replace what was known about these nodes.
        for &n in nodes {
            self.refused.remove(&n);
        }
        let mut refused_ids = 0;
        let mut refused_reviewer = 0;
        for (edge, why) in &clustering.refused {
            match why {
                Refusal::DifferentValidIds => refused_ids += 1,
                Refusal::RejectedByReviewer => refused_reviewer += 1,
            }
            self.refused.entry(edge.a).or_default().push(edge.b);
            self.refused.entry(edge.b).or_default().push(edge.a);
        }
        let (created, events) = self.assign_ids(nodes, &clustering.group_of);
        // Joins by rule: edges whose ends are now in one cluster.
        let mut by_rule: FxHashMap<&'static str, usize> = FxHashMap::default();
        for e in &edges {
            if self.cluster[e.a as usize] != self.cluster[e.b as usize] {
                continue;
            }
            let rule = if accepted_set.contains(&pair_key(e.a, e.b)) {
                "reviewer"
            } else {
                match compare_id(&self.recs[e.a as usize].id, &self.recs[e.b as usize].id) {
                    1 => "citizen_id",
                    2 | 3 => "id_repair",
                    _ => "probabilistic",
                }
            };
            *by_rule.entry(rule).or_default() += 1;
        }
        let mut joins_by_rule: Vec<(String, usize)> = by_rule
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        joins_by_rule.sort();
        // Review queue: pairs touching these nodes are re-decided.
        match subset {
            None => self.review.clear(),
            Some(set) => self
                .review
                .retain(|(a, b), _| !set.contains(a) && !set.contains(b)),
        }
        for (a, b, w) in reviewable {
            if self.cluster[a as usize] != self.cluster[b as usize]
                && !accepted_set.contains(&(a, b))
            {
                self.review.insert((a, b), (probability(w), w));
            }
        }
        LinkRun {
            mode: RunMode::Full,
            records: self.recs.len(),
            linked_records: 0,
            candidate_pairs: 0,
            oversized_blocks: 0,
            clusters: self.members.len(),
            created,
            events,
            joins_by_rule,
            refused_id_conflicts: refused_ids,
            refused_by_reviewer: refused_reviewer,
            review_queue: self.review_entries().len(),
            model_estimated: false,
            stages: Vec::new(),
        }
    }

    /// Gives each group a cluster id, keeping old ids where the records were before.
    fn assign_ids(&mut self, nodes: &[u32], group_of: &[u32]) -> (usize, Vec<ClusterEvent>) {
        let mut groups: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (i, &g) in group_of.iter().enumerate() {
            groups.entry(g).or_default().push(nodes[i]);
        }
        // Overlap of each group with each previous cluster.
        let mut overlaps: Vec<(usize, u64, u32)> = Vec::new();
        let mut previous: FxHashMap<u64, usize> = FxHashMap::default();
        for (&g, members) in &groups {
            let mut count: FxHashMap<u64, usize> = FxHashMap::default();
            for &m in members {
                let c = self.cluster[m as usize];
                if c != UNASSIGNED {
                    *count.entry(c).or_default() += 1;
                    *previous.entry(c).or_default() += 1;
                }
            }
            for (c, n) in count {
                overlaps.push((n, c, g));
            }
        }
        overlaps.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        let mut id_of_group: FxHashMap<u32, u64> = FxHashMap::default();
        let mut taken: FxHashSet<u64> = FxHashSet::default();
        for &(_, c, g) in &overlaps {
            if !id_of_group.contains_key(&g) && !taken.contains(&c) {
                id_of_group.insert(g, c);
                taken.insert(c);
            }
        }
        let mut fresh_groups: Vec<u32> = groups
            .keys()
            .filter(|g| !id_of_group.contains_key(g))
            .copied()
            .collect();
        fresh_groups.sort_by_key(|&g| nodes[g as usize]);
        let mut events = Vec::new();
        let mut created = 0;
        for g in fresh_groups {
            let id = self.next_cluster;
            self.next_cluster += 1;
            id_of_group.insert(g, id);
            // Records that were elsewhere: a split from their biggest previous cluster.
            if let Some(&(_, from, _)) = overlaps.iter().find(|o| o.2 == g) {
                events.push(ClusterEvent::Split { from, into: id });
            } else {
                created += 1;
            }
        }
        // Previous clusters whose id went nowhere were merged into the group holding most of them.
        let mut gone: Vec<u64> = previous
            .keys()
            .filter(|c| !taken.contains(c))
            .copied()
            .collect();
        gone.sort_unstable();
        for from in gone {
            if let Some(&(_, _, g)) = overlaps.iter().find(|o| o.1 == from) {
                let into = id_of_group[&g];
                if !events.contains(&ClusterEvent::Split { from, into }) {
                    events.push(ClusterEvent::Merged { from, into });
                }
            }
        }
        // Apply.
        for c in previous.keys() {
            self.members.remove(c);
        }
        for (g, members) in groups {
            let id = id_of_group[&g];
            for &m in &members {
                self.cluster[m as usize] = id;
            }
            let entry = self.members.entry(id).or_default();
            entry.extend(members);
            entry.sort_unstable();
            entry.dedup();
        }
        (created, events)
    }

    fn display(&self, idx: u32, field: Field) -> String {
        let r = &self.recs[idx as usize];
        let s = |sym: crate::intern::Sym| self.strings.resolve(sym).to_string();
        match field {
            Field::CitizenId => match r.id.as_str() {
                Some(id) => format!("{}********{}", &id[..6], &id[14..]),
                None => String::new(),
            },
            Field::Name => s(r.name),
            Field::BirthDate => r
                .birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            Field::Sex => match r.sex {
                1 => "男".into(),
                2 => "女".into(),
                _ => String::new(),
            },
            Field::Address => {
                let parts: Vec<String> = [r.town, r.village, r.dwelling.max(r.house)]
                    .into_iter()
                    .filter(|p| p.is_some())
                    .map(s)
                    .collect();
                let mut text = parts.join(" ");
                if r.household.is_some() {
                    text.push_str(&format!(" 户号{}", s(r.household)));
                }
                text.trim().to_string()
            }
            Field::Parents => {
                let mut names: Vec<String> = Vec::new();
                for &p in r.parents.iter().filter(|p| p.is_some()) {
                    let name = s(p);
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names.join("、")
            }
        }
    }

    fn explain_indices(&self, a: u32, b: u32) -> Option<PairExplanation> {
        let model = self.model.as_ref()?;
        let levels = compare(
            &self.recs[a as usize],
            &self.recs[b as usize],
            &self.strings,
        );
        let repair = self.describe_id_repair(a, b);
        let fields = Field::ALL
            .iter()
            .map(|&f| FieldEvidence {
                field: f,
                label: f.label_zh().into(),
                level: levels[f.index()],
                level_label: match (&repair, f, levels[f.index()]) {
                    (Some(r), Field::CitizenId, 2) => format!("相差一处录入错误：{r}"),
                    (Some(r), Field::CitizenId, 3) => {
                        format!("顺序码或校验码处相差一处：{r}（也可能是同日出生的另一人）")
                    }
                    _ => f.level_label_zh(levels[f.index()]).into(),
                },
                weight: model.weight(f, levels[f.index()]),
                left: self.display(a, f),
                right: self.display(b, f),
            })
            .collect();
        let tf = self.tf_adjustment_for_explain(model, a, &levels);
        let total = model.prior_weight() + model.pattern_weight(&levels) + tf;
        let p = probability(total);
        let exact_id = self.config.trust_exact_id && levels[Field::CitizenId.index()] == 1;
        let rule = exact_id.then(|| "身份证号完全一致，直接认定为同一人".to_string());
        let same_cluster = self.cluster[a as usize] != UNASSIGNED
            && self.cluster[a as usize] == self.cluster[b as usize];
        let verdict = match self.decision_between(a, b) {
            Some(Decision::SamePerson) => PairVerdict::AcceptedByReviewer,
            Some(Decision::DifferentPersons) => PairVerdict::RejectedByReviewer,
            None if exact_id || p >= self.config.match_probability => PairVerdict::Match,
            None if p >= self.config.review_probability => PairVerdict::Review,
            None => PairVerdict::NonMatch,
        };
        let constraint = if verdict == PairVerdict::Match && !same_cluster {
            match (
                self.recs[a as usize].id.valid(),
                self.recs[b as usize].id.valid(),
            ) {
                _ if self
                    .cluster_valid_ids(a)
                    .iter()
                    .any(|x| self.cluster_valid_ids(b).iter().any(|y| x != y)) =>
                {
                    Some("两条记录所在人员的有效身份证号不同，不予合并".to_string())
                }
                _ => Some("因人工核对结论不予合并".to_string()),
            }
        } else {
            None
        };
        Some(PairExplanation {
            a: self.keys[a as usize].clone(),
            b: self.keys[b as usize].clone(),
            fields,
            prior_weight: model.prior_weight(),
            name_frequency_adjustment: tf,
            total_weight: total,
            probability: p,
            verdict,
            blocking: rules_joining(&self.recs[a as usize], &self.recs[b as usize]),
            same_cluster,
            constraint,
            rule,
        })
    }

    /// Which typing error separates two records' IDs, in words ("第7位录入错误", "第7、8位颠倒").
    fn describe_id_repair(&self, a: u32, b: u32) -> Option<String> {
        let (x, y) = (&self.recs[a as usize].id, &self.recs[b as usize].id);
        match crate::compare::id_typing_error(x, y)? {
            (i, None) => Some(format!("第{}位录入错误", i + 1)),
            (i, Some(j)) => Some(format!("第{}、{}位颠倒", i + 1, j + 1)),
        }
    }

    fn cluster_valid_ids(&self, idx: u32) -> Vec<[u8; 18]> {
        let c = self.cluster[idx as usize];
        let members: Vec<u32> = if c == UNASSIGNED {
            vec![idx]
        } else {
            self.members.get(&c).cloned().unwrap_or_default()
        };
        let mut ids: Vec<[u8; 18]> = members
            .iter()
            .filter_map(|&m| self.recs[m as usize].id.valid().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn tf_adjustment_for_explain(&self, model: &Model, a: u32, levels: &Levels) -> f64 {
        if levels[Field::Name.index()] != 1 {
            return 0.0;
        }
        let name = self.strings.resolve(self.recs[a as usize].name);
        model.name_tf_adjustment(model.name_counts.get(name).copied().unwrap_or(0).max(1))
    }

    /// Why two records are or are not linked. None when a key is unknown or nothing is linked yet.
    pub fn explain_pair(&self, a: &str, b: &str) -> Option<PairExplanation> {
        let &x = self.by_key.get(a)?;
        let &y = self.by_key.get(b)?;
        self.explain_indices(x, y)
    }

    /// The strongest comparison between a record and another record of its cluster (None for a
    /// record alone in its cluster). Cheaper than [`Linker::explain_record`].
    pub fn strongest_link(&self, key: &str) -> Option<PairExplanation> {
        let &idx = self.by_key.get(key)?;
        let cluster_id = self.cluster[idx as usize];
        if cluster_id == UNASSIGNED {
            return None;
        }
        let model = self.model.as_ref()?;
        let best = self
            .members
            .get(&cluster_id)?
            .iter()
            .filter(|&&m| m != idx)
            .map(|&m| {
                let levels = compare(
                    &self.recs[idx as usize],
                    &self.recs[m as usize],
                    &self.strings,
                );
                let w = if self.decision_between(idx, m) == Some(Decision::SamePerson) {
                    f64::INFINITY
                } else {
                    model.pattern_weight(&levels)
                        + self.tf_adjustment_for_explain(model, idx, &levels)
                };
                (w, m)
            })
            .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)))?;
        self.explain_indices(idx, best.1)
    }

    /// Why a record is in its cluster, and what almost joined it.
    pub fn explain_record(&self, key: &str, limit: usize) -> Option<RecordExplanation> {
        let &idx = self.by_key.get(key)?;
        let cluster_id = self.cluster[idx as usize];
        let mut links: Vec<PairExplanation> = if cluster_id == UNASSIGNED {
            Vec::new()
        } else {
            self.members
                .get(&cluster_id)
                .into_iter()
                .flatten()
                .filter(|&&m| m != idx)
                .filter_map(|&m| self.explain_indices(idx, m))
                .collect()
        };
        links.sort_by(|p, q| q.total_weight.total_cmp(&p.total_weight));
        links.truncate(limit);
        let mut buf = Vec::new();
        keys(&self.recs[idx as usize], &mut buf);
        let mut others: Vec<u32> = buf
            .iter()
            .flat_map(|&k| self.index.block(k).iter().map(|&(_, r)| r))
            .filter(|&r| {
                r != idx && (cluster_id == UNASSIGNED || self.cluster[r as usize] != cluster_id)
            })
            .collect();
        others.sort_unstable();
        others.dedup();
        let mut near: Vec<PairExplanation> = others
            .into_iter()
            .filter_map(|r| self.explain_indices(idx, r))
            .collect();
        near.sort_by(|p, q| q.total_weight.total_cmp(&p.total_weight));
        near.truncate(limit);
        Some(RecordExplanation {
            record: key.to_string(),
            cluster: (cluster_id != UNASSIGNED).then_some(cluster_id),
            notes: self.notes.get(&idx).cloned().unwrap_or_default(),
            links,
            near_misses: near,
        })
    }

    /// Notes on malformed fields, by record key.
    pub fn notes(&self) -> impl Iterator<Item = (&str, &[FieldNote])> + '_ {
        self.notes
            .iter()
            .map(|(&i, n)| (self.keys[i as usize].as_str(), n.as_slice()))
    }
}
