//! The rule pack in force: the national pack until the centre activates its own (local layers
//! over the national one), kept in the database with every activation audited.

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
        Some(row) => serde_json::from_str(&row.value)
            .map_err(|e| PipelineError::Corrupt(format!("stored rule pack unreadable: {e}")))?,
        None => StoredPack::over_national(Vec::new()),
    })
}

/// The pack in force, compiled.
pub async fn active_pack(store: &Store) -> Result<RulePack, PipelineError> {
    Ok(active_pack_files(store).await?.compile()?)
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
