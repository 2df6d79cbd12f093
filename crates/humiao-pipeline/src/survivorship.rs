//! The centre's survivorship rules for golden records: read from a TOML file, kept in the
//! database (audited) so every later linking run uses the same rules.
//!
//! ```toml
//! # Departments in trust order, most trusted first (codes or Chinese names).
//! trust = ["公安", "民政", "教育", "卫健", "残联", "司法", "法院"]
//!
//! # Per field, the strategies tried in turn: most_trusted, most_recent, most_frequent.
//! # Fields left out keep the default.
//! [fields]
//! residence_address = ["most_recent", "most_trusted"]
//! ```

use std::collections::BTreeMap;

use humiao_core::golden::{GoldenField, Strategy, SurvivorshipRules};
use humiao_core::Department;
use humiao_store::{AuditEntry, Store};
use serde::Deserialize;
use toml::Spanned;

use crate::PipelineError;

/// The settings key the rules are stored under.
pub const SURVIVORSHIP_KEY: &str = "link.survivorship";

/// A problem in a survivorship file, with its place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct SurvivorshipError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    trust: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    fields: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

fn field_code(f: GoldenField) -> &'static str {
    match f {
        GoldenField::CitizenId => "citizen_id",
        GoldenField::Name => "name",
        GoldenField::Sex => "sex",
        GoldenField::BirthDate => "birth_date",
        GoldenField::HukouRegion => "hukou_region",
        GoldenField::HukouAddress => "hukou_address",
        GoldenField::ResidenceGrid => "residence_grid",
        GoldenField::ResidenceAddress => "residence_address",
        GoldenField::HouseholdNo => "household_no",
    }
}

fn strategy(s: &str) -> Option<Strategy> {
    match s {
        "most_trusted" => Some(Strategy::MostTrusted),
        "most_recent" => Some(Strategy::MostRecent),
        "most_frequent" => Some(Strategy::MostFrequent),
        _ => None,
    }
}

/// Parses a survivorship file; fields it leaves out keep the defaults. Every problem is named
/// with its line.
pub fn parse_survivorship(
    file: &str,
    text: &str,
) -> Result<SurvivorshipRules, Vec<SurvivorshipError>> {
    let line = |offset: usize| {
        text.get(..offset)
            .map_or(1, |t| t.matches('\n').count() + 1)
    };
    let raw: RawRules = toml::from_str(text).map_err(|e| {
        vec![SurvivorshipError {
            file: file.to_string(),
            line: line(e.span().map_or(0, |s| s.start)),
            problem: e.message().to_string(),
        }]
    })?;
    let mut errors = Vec::new();
    let mut err = |offset: usize, problem: String| {
        errors.push(SurvivorshipError {
            file: file.to_string(),
            line: line(offset),
            problem,
        })
    };
    let mut rules = SurvivorshipRules::default();
    if let Some(trust) = raw.trust {
        let mut order = Vec::new();
        for entry in trust {
            match Department::parse(entry.get_ref()) {
                Some(d) if order.contains(&d) => {
                    err(entry.span().start, format!("部门“{}”重复", entry.get_ref()))
                }
                Some(d) => order.push(d),
                None => err(
                    entry.span().start,
                    format!(
                        "未知部门“{}”；可用的有：{}",
                        entry.get_ref(),
                        Department::ALL.map(|d| d.code()).join("、")
                    ),
                ),
            }
        }
        // Departments left out are trusted least, in the default order.
        for d in Department::ALL {
            if !order.contains(&d) {
                order.push(d);
            }
        }
        rules.trust = order;
    }
    for (name, list) in raw.fields {
        let Some(field) = GoldenField::ALL
            .into_iter()
            .find(|f| field_code(*f) == name.get_ref())
        else {
            err(
                name.span().start,
                format!(
                    "未知字段“{}”；可用的有：{}",
                    name.get_ref(),
                    GoldenField::ALL.map(field_code).join("、")
                ),
            );
            continue;
        };
        if list.is_empty() {
            err(
                name.span().start,
                format!("字段 {} 至少要有一种规则", name.get_ref()),
            );
            continue;
        }
        let mut strategies = Vec::new();
        for s in list {
            match strategy(s.get_ref()) {
                Some(st) => strategies.push(st),
                None => err(
                    s.span().start,
                    format!(
                        "未知规则“{}”；可用的有：most_trusted、most_recent、most_frequent",
                        s.get_ref()
                    ),
                ),
            }
        }
        rules.fields.insert(field, strategies);
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The rules in force: the saved ones, or the defaults.
pub async fn saved_survivorship(store: &Store) -> Result<SurvivorshipRules, PipelineError> {
    Ok(match store.setting(SURVIVORSHIP_KEY).await? {
        Some(row) => serde_json::from_str(&row.value).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "saved survivorship rules unreadable; using the defaults");
            SurvivorshipRules::default()
        }),
        None => SurvivorshipRules::default(),
    })
}

/// Saves rules for every later run, audited as `by`'s change.
pub async fn save_survivorship(
    store: &Store,
    rules: &SurvivorshipRules,
    by: &str,
) -> Result<(), PipelineError> {
    let value = serde_json::to_string(rules).expect("rules serialise");
    store
        .put_setting(
            SURVIVORSHIP_KEY,
            &value,
            &AuditEntry {
                user_id: None,
                username: by.to_string(),
                action: "settings.survivorship".into(),
                target_kind: "setting".into(),
                target_id: SURVIVORSHIP_KEY.into(),
                detail: value.clone(),
            },
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_trust_and_some_fields() {
        let rules = parse_survivorship(
            "s.toml",
            "trust = [\"民政\", \"police\"]\n[fields]\nresidence_address = [\"most_recent\"]\n",
        )
        .unwrap();
        assert_eq!(
            rules.trust[..2],
            [Department::CivilAffairs, Department::Police]
        );
        assert_eq!(rules.trust.len(), Department::ALL.len());
        assert_eq!(
            rules.fields[&GoldenField::ResidenceAddress],
            vec![Strategy::MostRecent]
        );
        // Untouched fields keep the default.
        assert_eq!(
            rules.fields[&GoldenField::Name],
            SurvivorshipRules::default().fields[&GoldenField::Name]
        );
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let errors = parse_survivorship(
            "s.toml",
            "trust = [\"公安\", \"公安\", \"税务\"]\n[fields]\nnickname = [\"most_recent\"]\nname = [\"newest\"]\nsex = []\n",
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 5, "{text:?}");
        assert!(text[0].starts_with("s.toml:1: 部门“公安”重复"));
        assert!(text[1].contains("未知部门“税务”"));
        assert!(text
            .iter()
            .any(|t| t.starts_with("s.toml:3: 未知字段“nickname”")));
        assert!(text
            .iter()
            .any(|t| t.starts_with("s.toml:4: 未知规则“newest”")));
        assert!(text.iter().any(|t| t.contains("sex 至少要有一种规则")));
        let syntax = parse_survivorship("s.toml", "trust = [\n").unwrap_err();
        assert_eq!(syntax[0].file, "s.toml");
    }
}
