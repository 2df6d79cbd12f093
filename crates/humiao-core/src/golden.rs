//! Golden record (实有人口) survivorship: which value of each identity field a person keeps when
//! linked records disagree. Rules per field are an ordered list of strategies (most trusted
//! department, most recent record, most frequent value); the losing values are kept as conflicts,
//! never silently overwritten.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::records::Department;

/// The identity fields a golden record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoldenField {
    CitizenId,
    Name,
    Sex,
    BirthDate,
    HukouRegion,
    HukouAddress,
    ResidenceGrid,
    ResidenceAddress,
    HouseholdNo,
}

impl GoldenField {
    pub const ALL: [GoldenField; 9] = [
        GoldenField::CitizenId,
        GoldenField::Name,
        GoldenField::Sex,
        GoldenField::BirthDate,
        GoldenField::HukouRegion,
        GoldenField::HukouAddress,
        GoldenField::ResidenceGrid,
        GoldenField::ResidenceAddress,
        GoldenField::HouseholdNo,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::CitizenId => "身份证号",
            Self::Name => "姓名",
            Self::Sex => "性别",
            Self::BirthDate => "出生日期",
            Self::HukouRegion => "户籍地",
            Self::HukouAddress => "户籍地址",
            Self::ResidenceGrid => "居住网格",
            Self::ResidenceAddress => "居住地址",
            Self::HouseholdNo => "户号",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The department earliest in the trust order wins.
    MostTrusted,
    /// The most recently received record wins.
    MostRecent,
    /// The value most records give wins.
    MostFrequent,
}

/// Survivorship configuration: a trust order of departments and, per field, the strategies to
/// apply in turn until one value is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurvivorshipRules {
    pub trust: Vec<Department>,
    pub fields: BTreeMap<GoldenField, Vec<Strategy>>,
}

impl Default for SurvivorshipRules {
    /// The household register (police) is the most trusted source of identity; residence follows
    /// the most recent record once trust is equal.
    fn default() -> Self {
        use Strategy::*;
        let identity = vec![MostTrusted, MostFrequent, MostRecent];
        let residence = vec![MostTrusted, MostRecent, MostFrequent];
        let fields = GoldenField::ALL
            .iter()
            .map(|&f| {
                let s = match f {
                    GoldenField::ResidenceGrid | GoldenField::ResidenceAddress => residence.clone(),
                    _ => identity.clone(),
                };
                (f, s)
            })
            .collect();
        Self {
            trust: vec![
                Department::Police,
                Department::CivilAffairs,
                Department::Education,
                Department::Health,
                Department::DisabledPersonsFederation,
                Department::Justice,
                Department::Court,
            ],
            fields,
        }
    }
}

/// One record's value for one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation<S> {
    pub value: String,
    pub department: Department,
    /// Larger is more recent (e.g. the source record id, assigned in arrival order).
    pub recency: i64,
    pub source: S,
}

/// The surviving value of a field and the other values seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survivor<S> {
    pub value: String,
    pub sources: Vec<S>,
    /// Other values, each with the records giving it.
    pub conflicts: Vec<(String, Vec<S>)>,
}

impl SurvivorshipRules {
    fn trust_rank(&self, d: Department) -> usize {
        self.trust
            .iter()
            .position(|&t| t == d)
            .unwrap_or(self.trust.len())
    }

    /// Picks the surviving value of `field` among `observations` (None when there are none).
    pub fn survive<S: Clone>(
        &self,
        field: GoldenField,
        observations: &[Observation<S>],
    ) -> Option<Survivor<S>> {
        if observations.is_empty() {
            return None;
        }
        // Group by value.
        let mut values: BTreeMap<&str, Vec<&Observation<S>>> = BTreeMap::new();
        for o in observations {
            values.entry(o.value.as_str()).or_default().push(o);
        }
        let mut candidates: Vec<&str> = values.keys().copied().collect();
        let strategies = self.fields.get(&field).cloned().unwrap_or_default();
        for strategy in strategies {
            if candidates.len() <= 1 {
                break;
            }
            let score = |v: &str| -> i64 {
                let obs = &values[v];
                match strategy {
                    Strategy::MostTrusted => {
                        -(obs
                            .iter()
                            .map(|o| self.trust_rank(o.department))
                            .min()
                            .unwrap_or(usize::MAX) as i64)
                    }
                    Strategy::MostRecent => obs.iter().map(|o| o.recency).max().unwrap_or(i64::MIN),
                    Strategy::MostFrequent => obs.len() as i64,
                }
            };
            let best = candidates.iter().map(|v| score(v)).max().unwrap_or(0);
            candidates.retain(|v| score(v) == best);
        }
        // Still tied: the smallest value, so the result never depends on input order.
        let winner = candidates[0];
        let sources_of = |v: &str| values[v].iter().map(|o| o.source.clone()).collect();
        Some(Survivor {
            value: winner.to_string(),
            sources: sources_of(winner),
            conflicts: values
                .keys()
                .filter(|v| **v != winner)
                .map(|v| (v.to_string(), sources_of(v)))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(value: &str, department: Department, recency: i64) -> Observation<i64> {
        Observation {
            value: value.into(),
            department,
            recency,
            source: recency,
        }
    }

    #[test]
    fn most_trusted_wins_and_conflicts_are_kept() {
        let rules = SurvivorshipRules::default();
        let s = rules
            .survive(
                GoldenField::Name,
                &[
                    obs("张丽", Department::Education, 5),
                    obs("张莉", Department::Police, 1),
                    obs("张丽", Department::Health, 9),
                ],
            )
            .unwrap();
        assert_eq!(s.value, "张莉");
        assert_eq!(s.sources, vec![1]);
        assert_eq!(s.conflicts, vec![("张丽".to_string(), vec![5, 9])]);
    }

    #[test]
    fn residence_prefers_recent_among_equally_trusted() {
        let rules = SurvivorshipRules::default();
        let s = rules
            .survive(
                GoldenField::ResidenceAddress,
                &[
                    obs("东门村1号", Department::Education, 3),
                    obs("西山村2号", Department::Education, 8),
                    obs("东门村1号", Department::Education, 4),
                ],
            )
            .unwrap();
        assert_eq!(s.value, "西山村2号");
    }

    #[test]
    fn configurable_order_and_frequency() {
        let mut rules = SurvivorshipRules::default();
        rules
            .fields
            .insert(GoldenField::Name, vec![Strategy::MostFrequent]);
        let s = rules
            .survive(
                GoldenField::Name,
                &[
                    obs("张莉", Department::Police, 1),
                    obs("张丽", Department::Education, 5),
                    obs("张丽", Department::Health, 9),
                ],
            )
            .unwrap();
        assert_eq!(s.value, "张丽");
        assert!(rules.survive::<i64>(GoldenField::Name, &[]).is_none());
    }
}
