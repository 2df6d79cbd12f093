//! The Fellegi–Sunter model: per field and level, m = P(level | same person) and
//! u = P(level | different persons); a pair's match weight is the prior log-odds plus the sum of
//! log2(m/u) over fields, with a term-frequency adjustment on exact name agreement.
//!
//! Estimation is unsupervised, as in Splink: u from randomly sampled record pairs (almost all of
//! which are different persons), m and the prior by expectation–maximisation over the blocked
//! candidate pairs, where matches are common enough to be learned.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::compare::{unpack, Field, Levels, FIELD_COUNT, MAX_LEVELS};

/// Estimated parameters; serialisable so a later incremental run scores exactly as the full run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// m[field][level]; level 0 unused.
    pub m: [[f64; MAX_LEVELS]; FIELD_COUNT],
    /// u[field][level]; level 0 unused.
    pub u: [[f64; MAX_LEVELS]; FIELD_COUNT],
    /// Probability that two records drawn at random are the same person.
    pub prior: f64,
    /// Records the model was estimated on (denominator of the name frequencies).
    pub records: u64,
    /// How many records carry each normalised name (term frequencies), for the exact-name level.
    pub name_counts: FxHashMap<String, u32>,
    /// EM iterations run and whether they converged.
    pub em_iterations: u32,
    pub em_converged: bool,
}

/// Pseudo-count of matching pairs behind the starting m values (a Dirichlet prior).
const PRIOR_PAIRS: f64 = 5.0;

/// Smallest probability a level may get, so that no weight is infinite.
const FLOOR: f64 = 1e-9;

impl Model {
    /// log2(m/u) for one field and level; 0 for level 0.
    pub fn weight(&self, field: Field, level: u8) -> f64 {
        if level == 0 {
            return 0.0;
        }
        let f = field.index();
        let l = level as usize;
        (self.m[f][l].max(FLOOR) / self.u[f][l].max(FLOOR)).log2()
    }

    pub fn prior_weight(&self) -> f64 {
        let p = self.prior.clamp(FLOOR, 1.0 - FLOOR);
        (p / (1.0 - p)).log2()
    }

    /// The term-frequency adjustment for an exact name match on a name carried by `count` records:
    /// log2(u_exact / u_tf). A rare name is stronger evidence than 王伟.
    pub fn name_tf_adjustment(&self, count: u32) -> f64 {
        if self.records == 0 || count == 0 {
            return 0.0;
        }
        let u_exact = self.u[Field::Name.index()][1].max(FLOOR);
        let u_tf = (f64::from(count) / self.records as f64).max(FLOOR);
        (u_exact / u_tf).log2()
    }

    /// The sum of field weights for a pattern, without prior or term frequency.
    pub fn pattern_weight(&self, levels: &Levels) -> f64 {
        Field::ALL
            .iter()
            .map(|&f| self.weight(f, levels[f.index()]))
            .sum()
    }
}

pub fn probability(total_weight: f64) -> f64 {
    let odds = total_weight.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

/// Typical u values of a county (two random records agreeing at each level), used as a prior so
/// that a small first import is scored sensibly; a large sample outweighs them.
const DEFAULT_U: [[f64; MAX_LEVELS]; FIELD_COUNT] = [
    // citizen ID, between different persons born on the same day (see `Linker::estimate`):
    // exact, one typing error in the region/birth digits, one in the serial/check, different
    [0.0, 1e-5, 1e-4, 3e-2, 0.97, 0.0],
    // name: exact, same pinyin, close pinyin, different
    [0.0, 1e-4, 2e-4, 3e-3, 0.997, 0.0],
    // birth date: exact, swapped/±1 day, same month, within a year, different
    [0.0, 4e-5, 1e-4, 1e-3, 1.5e-2, 0.984],
    // sex: same, different
    [0.0, 0.5, 0.5, 0.0, 0.0, 0.0],
    // address: same house, same village, same town, different
    [0.0, 1e-4, 3e-2, 1e-1, 0.87, 0.0],
    // parents: a name equal, a pinyin equal, none
    [0.0, 1e-3, 1e-4, 0.999, 0.0, 0.0],
];

/// Pseudo-count of random pairs behind [`DEFAULT_U`].
const DEFAULT_U_PAIRS: f64 = 10_000.0;

/// Level counts of randomly sampled pairs → u, shrunk towards typical values by a prior worth
/// [`DEFAULT_U_PAIRS`] pairs.
pub fn u_from_counts(
    counts: &[[u64; MAX_LEVELS]; FIELD_COUNT],
) -> [[f64; MAX_LEVELS]; FIELD_COUNT] {
    let mut u = [[0.0; MAX_LEVELS]; FIELD_COUNT];
    for field in Field::ALL {
        let f = field.index();
        let levels = field.levels();
        let total: u64 = counts[f][1..levels].iter().sum();
        for l in 1..levels {
            u[f][l] = (counts[f][l] as f64 + DEFAULT_U_PAIRS * DEFAULT_U[f][l])
                / (total as f64 + DEFAULT_U_PAIRS);
        }
    }
    u
}

/// Result of EM over the blocked pairs.
#[derive(Debug, Clone)]
pub struct EmResult {
    pub m: [[f64; MAX_LEVELS]; FIELD_COUNT],
    /// Expected number of matching pairs among the blocked pairs.
    pub expected_matches: f64,
    pub iterations: u32,
    pub converged: bool,
}

/// Pairs sharing a citizen ID needed before their agreement on the other fields is trusted as m.
pub const MIN_ANCHOR_PAIRS: u64 = 200;

/// m of every field but the ID, from the blocked pairs that share a citizen ID ("anchors": the ID
/// is a national unique identifier, so these are matches without anyone labelling them). None
/// when there are too few anchors.
///
/// Why not EM alone: in a large county most blocked pairs are namesakes born the same year, and
/// free EM then settles on "same name" as the matching class (m of a different birth date near
/// 0.8). Anchored m cannot drift there; EM still estimates the ID's own m and the prior.
pub fn anchored_m(patterns: &FxHashMap<u32, u64>) -> Option<[[f64; MAX_LEVELS]; FIELD_COUNT]> {
    let id = Field::CitizenId.index();
    let mut counts = [[0.0; MAX_LEVELS]; FIELD_COUNT];
    let mut anchors = 0;
    for (&packed, &count) in patterns {
        let levels = unpack(packed);
        if levels[id] != 1 {
            continue;
        }
        anchors += count;
        for field in Field::ALL {
            let l = levels[field.index()] as usize;
            if l != 0 {
                counts[field.index()][l] += count as f64;
            }
        }
    }
    if anchors < MIN_ANCHOR_PAIRS {
        return None;
    }
    let mut m = [[0.0; MAX_LEVELS]; FIELD_COUNT];
    for field in Field::ALL {
        let f = field.index();
        let levels = field.levels();
        // Half a pair per level: a level never seen among anchors is rare, not impossible.
        let total: f64 = counts[f][1..levels].iter().map(|c| c + 0.5).sum();
        for l in 1..levels {
            m[f][l] = (counts[f][l] + 0.5) / total;
        }
    }
    Some(m)
}

/// EM over identical comparison patterns with their counts.
///
/// Both m and the blocked pairs' own u' are free (blocked non-matches agree far more than random
/// pairs do); only m is kept, the final u comes from random sampling. With `fixed`, the m of every
/// field but the citizen ID stays as given (see [`anchored_m`]) and EM estimates the rest.
pub fn expectation_maximisation(
    patterns: &FxHashMap<u32, u64>,
    u_random: &[[f64; MAX_LEVELS]; FIELD_COUNT],
    max_iterations: u32,
    fixed: Option<&[[f64; MAX_LEVELS]; FIELD_COUNT]>,
) -> EmResult {
    let free = |field: Field| fixed.is_none() || field == Field::CitizenId;
    let pats: Vec<(Levels, f64)> = {
        let mut v: Vec<(u32, u64)> = patterns.iter().map(|(&p, &c)| (p, c)).collect();
        v.sort_unstable();
        v.into_iter().map(|(p, c)| (unpack(p), c as f64)).collect()
    };
    // Start: agreement likely among matches, the blocked non-matches like random pairs.
    let mut m = [[0.0; MAX_LEVELS]; FIELD_COUNT];
    for field in Field::ALL {
        let f = field.index();
        let levels = field.levels();
        m[f][1] = 0.9;
        let rest = 0.1 / (levels - 2).max(1) as f64;
        for slot in m[f].iter_mut().take(levels).skip(2) {
            *slot = rest;
        }
    }
    if let Some(fixed) = fixed {
        for field in Field::ALL {
            if !free(field) {
                m[field.index()] = fixed[field.index()];
            }
        }
    }
    let start = m;
    let mut u = *u_random;
    let mut lambda = 0.3;
    let total: f64 = pats.iter().map(|(_, c)| c).sum();
    let mut iterations = 0;
    let mut converged = false;
    let mut expected_matches = 0.0;
    while iterations < max_iterations {
        iterations += 1;
        let mut m_counts = [[0.0; MAX_LEVELS]; FIELD_COUNT];
        let mut u_counts = [[0.0; MAX_LEVELS]; FIELD_COUNT];
        let mut matches = 0.0;
        for (levels, count) in &pats {
            let mut pm = lambda;
            let mut pu = 1.0 - lambda;
            for field in Field::ALL {
                let l = levels[field.index()] as usize;
                if l != 0 {
                    pm *= m[field.index()][l].max(FLOOR);
                    pu *= u[field.index()][l].max(FLOOR);
                }
            }
            let posterior = pm / (pm + pu);
            matches += posterior * count;
            for field in Field::ALL {
                let l = levels[field.index()] as usize;
                if l != 0 {
                    m_counts[field.index()][l] += posterior * count;
                    u_counts[field.index()][l] += (1.0 - posterior) * count;
                }
            }
        }
        // A weak prior (a few pairs' worth of the starting m) keeps tiny data sets sensible.
        for field in Field::ALL {
            let f = field.index();
            for l in 1..field.levels() {
                m_counts[f][l] += PRIOR_PAIRS * start[f][l];
            }
        }
        let mut change: f64 = 0.0;
        for field in Field::ALL {
            let f = field.index();
            let levels = field.levels();
            let mt: f64 = m_counts[f][1..levels].iter().sum();
            let ut: f64 = u_counts[f][1..levels].iter().sum();
            for l in 1..levels {
                if ut > 0.0 {
                    u[f][l] = u_counts[f][l] / ut;
                }
                if !free(field) {
                    continue;
                }
                let new_m = if mt > 0.0 {
                    m_counts[f][l] / mt
                } else {
                    m[f][l]
                };
                change = change.max((new_m - m[f][l]).abs());
                m[f][l] = new_m;
            }
        }
        let new_lambda = if total > 0.0 { matches / total } else { 0.0 };
        change = change.max((new_lambda - lambda).abs());
        lambda = new_lambda;
        expected_matches = matches;
        if change < 1e-6 {
            converged = true;
            break;
        }
    }
    EmResult {
        m,
        expected_matches,
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::pack;

    #[test]
    fn em_separates_two_clear_classes() {
        // 1,000 matches agreeing on everything, 9,000 non-matches agreeing only on sex half the time.
        let mut patterns = FxHashMap::default();
        patterns.insert(pack(&[1, 1, 1, 1, 1, 1]), 950);
        patterns.insert(pack(&[0, 2, 1, 1, 1, 0]), 50);
        patterns.insert(pack(&[3, 4, 5, 1, 4, 3]), 4500);
        patterns.insert(pack(&[3, 4, 5, 2, 4, 3]), 4500);
        let mut counts = [[0u64; MAX_LEVELS]; FIELD_COUNT];
        for field in Field::ALL {
            counts[field.index()][field.levels() - 1] = 1000;
            counts[field.index()][1] = 1;
        }
        let u = u_from_counts(&counts);
        let em = expectation_maximisation(&patterns, &u, 100, None);
        assert!(em.converged);
        assert!(
            (em.expected_matches - 1000.0).abs() < 5.0,
            "{}",
            em.expected_matches
        );
        assert!(em.m[Field::Name.index()][1] > 0.9);
        assert!((em.m[Field::Sex.index()][1] - 1.0).abs() < 0.01);
    }

    #[test]
    fn weights_and_tf() {
        let mut counts = [[0u64; MAX_LEVELS]; FIELD_COUNT];
        for field in Field::ALL {
            counts[field.index()][1] = 10;
            counts[field.index()][field.levels() - 1] = 990;
        }
        let u = u_from_counts(&counts);
        let mut m = [[0.0; MAX_LEVELS]; FIELD_COUNT];
        for field in Field::ALL {
            m[field.index()][1] = 0.95;
            m[field.index()][field.levels() - 1] = 0.05;
        }
        let model = Model {
            m,
            u,
            prior: 1e-6,
            records: 1_000_000,
            name_counts: FxHashMap::default(),
            em_iterations: 1,
            em_converged: true,
        };
        assert!(model.weight(Field::Name, 1) > 6.0);
        assert!(model.weight(Field::Name, 4) < -4.0);
        assert_eq!(model.weight(Field::Name, 0), 0.0);
        // A name carried by 5,000 of a million records is weaker than one carried by 3.
        assert!(model.name_tf_adjustment(5000) < model.name_tf_adjustment(3));
        assert!(probability(model.prior_weight()) < 1e-5);
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
    }
}
