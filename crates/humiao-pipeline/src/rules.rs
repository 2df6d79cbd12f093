//! The rule pack in force: the national pack until the centre activates its own (local layers
//! over the national one), kept in the database with every activation audited.

use std::sync::{Arc, Mutex};

use humiao_rules::{load, PackErrors, PackSource, RulePack};
use humiao_store::{AuditEntry, Store};
use serde::{Deserialize, Serialize};

use crate::PipelineError;

/// The settings key of the active pack.
pub const ACTIVE_PACK_KEY: &str = "rules.active";

/// One file of a pack as it was activated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackFile {
    pub file: String,
    pub text: String,
}

/// The layers of a pack, base first, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPack {
    pub layers: Vec<PackFile>,
}

impl StoredPack {
    /// The national pack, then `local` files over it.
    pub fn over_national(local: Vec<PackFile>) -> Self {
        let mut layers = vec![PackFile {
            file: "national.toml".into(),
            text: humiao_rules::NATIONAL_PACK.into(),
        }];
        layers.extend(local);
        Self { layers }
    }

    /// Uploaded or given files as layers: over the national pack, unless the first file is a
    /// whole pack itself (its `[pack]` has no `extends`).
    pub fn from_files(files: Vec<PackFile>) -> Self {
        let stands_alone = files
            .first()
            .and_then(|f| toml::from_str::<toml::Table>(&f.text).ok())
            .and_then(|t| t.get("pack").and_then(|p| p.as_table()).cloned())
            .is_some_and(|p| !p.contains_key("extends"));
        if stands_alone {
            Self { layers: files }
        } else {
            Self::over_national(files)
        }
    }

    pub fn compile(&self) -> Result<RulePack, PackErrors> {
        let sources: Vec<PackSource> = self
            .layers
            .iter()
            .map(|l| PackSource {
                file: &l.file,
                text: &l.text,
            })
            .collect();
        load(&sources)
    }
}

/// The pack files in force (the national pack alone when none was activated).
pub async fn active_pack_files(store: &Store) -> Result<StoredPack, PipelineError> {
    Ok(match store.setting(ACTIVE_PACK_KEY).await? {
        Some(row) => parse_stored(&row.value)?,
        None => StoredPack::over_national(Vec::new()),
    })
}

/// The pack in force, compiled.
///
/// Pages ask for it on every request and compiling takes milliseconds, so the last pack
/// compiled is kept, keyed by the stored text: an activation (from any process) changes the
/// text and so compiles afresh.
pub async fn active_pack(store: &Store) -> Result<Arc<RulePack>, PipelineError> {
    static LAST: Mutex<Option<(Option<String>, Arc<RulePack>)>> = Mutex::new(None);
    let stored = store.setting(ACTIVE_PACK_KEY).await?.map(|row| row.value);
    if let Some((_, pack)) = LAST
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .filter(|(text, _)| *text == stored)
    {
        return Ok(Arc::clone(pack));
    }
    let files = match &stored {
        Some(text) => parse_stored(text)?,
        None => StoredPack::over_national(Vec::new()),
    };
    let pack = Arc::new(files.compile()?);
    *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some((stored, Arc::clone(&pack)));
    Ok(pack)
}

fn parse_stored(text: &str) -> Result<StoredPack, PipelineError> {
    serde_json::from_str(text)
        .map_err(|e| PipelineError::Corrupt(format!("stored rule pack unreadable: {e}")))
}

/// Validates and activates a pack: later assessments use it. The activation is audited with the
/// pack's name, version and layers.
pub async fn activate_pack(
    store: &Store,
    pack: &StoredPack,
    by: &AuditEntry,
) -> Result<RulePack, PipelineError> {
    let compiled = pack.compile()?;
    let value = serde_json::to_string(pack).expect("pack files serialise");
    let entry = AuditEntry {
        action: "rules.activate".into(),
        target_kind: "rule_pack".into(),
        target_id: format!("{} {}", compiled.name, compiled.version),
        detail: compiled.layers.join(" + "),
        ..by.clone()
    };
    store.put_setting(ACTIVE_PACK_KEY, &value, &entry).await?;
    Ok(compiled)
}

/// A child whose categories a new pack would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildChange {
    pub person: humiao_core::PersonId,
    pub name: String,
    pub before: Vec<humiao_core::policy::Category>,
    pub after: Vec<humiao_core::policy::Category>,
}

/// What activating a pack would change, before it is activated (dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackDiff {
    pub assessed: usize,
    pub changes: Vec<ChildChange>,
    /// Per category: children with it under the old pack and under the new one.
    pub counts: Vec<(humiao_core::policy::Category, usize, usize)>,
}

/// Assesses every child with both packs as of `as_of`; writes nothing.
pub async fn diff_packs(
    store: &Store,
    old: &RulePack,
    new: &RulePack,
    as_of: chrono::NaiveDate,
) -> Result<PackDiff, PipelineError> {
    use humiao_core::policy::Category;
    use std::collections::BTreeMap;
    let county = crate::county::County::load(store).await?;
    let (old_params, new_params) = (old.parameter_values(as_of), new.parameter_values(as_of));
    let mut diff = PackDiff::default();
    let mut counts: BTreeMap<Category, (usize, usize)> = BTreeMap::new();
    for person in &county.persons {
        if !county.assessed(person, as_of) {
            continue;
        }
        diff.assessed += 1;
        let case = county.case_of(person);
        let categories = |pack: &RulePack, params: &[humiao_rules::value::Value]| {
            let mut c = pack.assess_with(&case, as_of, params).categories();
            c.sort();
            c.dedup();
            c
        };
        let before = categories(old, &old_params);
        let after = categories(new, &new_params);
        for c in &before {
            counts.entry(*c).or_default().0 += 1;
        }
        for c in &after {
            counts.entry(*c).or_default().1 += 1;
        }
        if before != after {
            diff.changes.push(ChildChange {
                person: person.id,
                name: person.name.to_string(),
                before,
                after,
            });
        }
    }
    diff.counts = counts.into_iter().map(|(c, (a, b))| (c, a, b)).collect();
    Ok(diff)
}

/// One person's assessment with the pack, with reasons and sources; None if there is no such
/// person.
pub async fn explain_child(
    store: &Store,
    person: humiao_core::PersonId,
    pack: &RulePack,
    as_of: chrono::NaiveDate,
) -> Result<Option<(humiao_core::Person, humiao_rules::Assessment)>, PipelineError> {
    let county = crate::county::County::load(store).await?;
    let Some(p) = county.persons.iter().find(|p| p.id == person) else {
        return Ok(None);
    };
    let assessment = pack.assess(&county.case_of(p), as_of);
    Ok(Some((p.clone(), assessment)))
}
