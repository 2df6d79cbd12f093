//! Blocking: only records sharing a blocking key are compared. Several rules, so that an error in
//! one field (a mistyped ID, a wrong birth date, a homophone surname) still leaves another way in.

use std::hash::{Hash, Hasher};

use chrono::Datelike;
use humiao_core::normalize::repair_candidates;
use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use crate::intern::Sym;
use crate::prepare::{IdValue, Rec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockingRule {
    /// The same citizen ID, or a damaged ID one typing error from a valid one.
    CitizenId,
    /// The same birth date (either reading of an ambiguous date) and surname pinyin.
    BirthSurname,
    /// The same name pinyin and birth year.
    NameYear,
    /// The same name pinyin in the same village (records without a birth date).
    NameVillage,
    /// The same birth date in the same household or house (a changed surname, a pinyin-only name).
    BirthHouse,
    /// The same birth date and a parent's name pinyin (a newborn recorded as 「母亲姓名之子」, a
    /// changed surname).
    BirthParent,
}

impl BlockingRule {
    pub const ALL: [BlockingRule; 6] = [
        BlockingRule::CitizenId,
        BlockingRule::BirthSurname,
        BlockingRule::NameYear,
        BlockingRule::NameVillage,
        BlockingRule::BirthHouse,
        BlockingRule::BirthParent,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            BlockingRule::CitizenId => "身份证号（含一处录入错误）",
            BlockingRule::BirthSurname => "出生日期＋姓氏拼音",
            BlockingRule::NameYear => "姓名拼音＋出生年份",
            BlockingRule::NameVillage => "姓名拼音＋村（社区）",
            BlockingRule::BirthHouse => "出生日期＋同户或同门牌",
            BlockingRule::BirthParent => "出生日期＋父母姓名拼音",
        }
    }
}

fn key_of(rule: BlockingRule, parts: &[u64]) -> u64 {
    let mut h = FxHasher::default();
    (rule as u8).hash(&mut h);
    parts.hash(&mut h);
    h.finish()
}

fn id_key(id: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    0u8.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

fn sym(s: Sym) -> u64 {
    u64::from(s.0)
}

/// The blocking keys of one record with the rule giving each. Keys are hashes; a collision only
/// adds a pair to compare, never a link.
pub fn rule_keys(rec: &Rec, out: &mut Vec<(BlockingRule, u64)>) {
    match &rec.id {
        IdValue::Valid(id) | IdValue::Unchecked(id) => {
            out.push((BlockingRule::CitizenId, id_key(id)))
        }
        IdValue::Damaged(id) => {
            out.push((BlockingRule::CitizenId, id_key(id)));
            if let Ok(s) = std::str::from_utf8(id) {
                for (candidate, _) in repair_candidates(s) {
                    out.push((
                        BlockingRule::CitizenId,
                        id_key(candidate.as_str().as_bytes()),
                    ));
                }
            }
        }
        IdValue::Missing => {}
    }
    let days = |d: chrono::NaiveDate| d.num_days_from_ce() as u64;
    for birth in [rec.birth, rec.birth_alt].into_iter().flatten() {
        if rec.surname_pinyin.is_some() {
            let rule = BlockingRule::BirthSurname;
            out.push((rule, key_of(rule, &[days(birth), sym(rec.surname_pinyin)])));
        }
        for house in [rec.household, rec.house] {
            if house.is_some() {
                let rule = BlockingRule::BirthHouse;
                out.push((rule, key_of(rule, &[days(birth), sym(house)])));
            }
        }
        for parent in rec.parents_pinyin {
            if parent.is_some() {
                let rule = BlockingRule::BirthParent;
                out.push((rule, key_of(rule, &[days(birth), sym(parent)])));
            }
        }
    }
    if rec.name_pinyin.is_some() {
        if let Some(birth) = rec.birth {
            let rule = BlockingRule::NameYear;
            out.push((
                rule,
                key_of(rule, &[sym(rec.name_pinyin), birth.year() as u64]),
            ));
        } else if rec.village.is_some() {
            let rule = BlockingRule::NameVillage;
            out.push((
                rule,
                key_of(rule, &[sym(rec.name_pinyin), sym(rec.village)]),
            ));
        }
    }
}

/// The distinct blocking keys of one record, appended to `out`.
pub fn keys(rec: &Rec, out: &mut Vec<u64>) {
    let mut tagged = Vec::new();
    rule_keys(rec, &mut tagged);
    let start = out.len();
    out.extend(tagged.into_iter().map(|(_, k)| k));
    out[start..].sort_unstable();
    let mut kept = start;
    for r in start..out.len() {
        if kept == start || out[r] != out[kept - 1] {
            out[kept] = out[r];
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// Which rules put two records in one block (for explanations).
pub fn rules_joining(a: &Rec, b: &Rec) -> Vec<BlockingRule> {
    let mut ka = Vec::new();
    let mut kb = Vec::new();
    rule_keys(a, &mut ka);
    rule_keys(b, &mut kb);
    let mut out: Vec<BlockingRule> = ka
        .iter()
        .filter(|(_, k)| kb.iter().any(|(_, other)| other == k))
        .map(|(rule, _)| *rule)
        .collect();
    out.sort_by_key(|r| *r as u8);
    out.dedup();
    out
}

/// Records grouped by key: a sorted list of (key, record) pairs.
#[derive(Debug, Clone, Default)]
pub struct BlockIndex {
    entries: Vec<(u64, u32)>,
}

impl BlockIndex {
    pub fn build(mut entries: Vec<(u64, u32)>) -> Self {
        entries.sort_unstable();
        entries.dedup();
        Self { entries }
    }

    /// Records carrying `key`, in record order.
    pub fn block(&self, key: u64) -> &[(u64, u32)] {
        let start = self.entries.partition_point(|&(k, _)| k < key);
        let end = start + self.entries[start..].partition_point(|&(k, _)| k == key);
        &self.entries[start..end]
    }

    /// Groups of records sharing a key.
    pub fn blocks(&self) -> impl Iterator<Item = &[(u64, u32)]> {
        self.entries.chunk_by(|a, b| a.0 == b.0)
    }

    /// Adds entries (an incremental batch), keeping the order.
    pub fn extend(&mut self, more: Vec<(u64, u32)>) {
        if more.is_empty() {
            return;
        }
        let mut more = more;
        more.sort_unstable();
        let mut merged = Vec::with_capacity(self.entries.len() + more.len());
        let (mut i, mut j) = (0, 0);
        while i < self.entries.len() && j < more.len() {
            if self.entries[i] <= more[j] {
                merged.push(self.entries[i]);
                i += 1;
            } else {
                merged.push(more[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&self.entries[i..]);
        merged.extend_from_slice(&more[j..]);
        merged.dedup();
        self.entries = merged;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
