//! 人房: derives people ↔ houses from the golden records' addresses (run after linking).

use humiao_core::normalize::parse_address;
use humiao_store::{HouseCounts, HouseRelation, PersonHouse, Store};

use crate::PipelineError;

/// Rebuilds every person ↔ house link from the persons' residence and registration addresses.
/// Idempotent: a second run writes the same links and keeps house ids.
pub async fn derive_houses(store: &Store) -> Result<HouseCounts, PipelineError> {
    let mut links = Vec::new();
    for (person, residence, hukou) in store.person_addresses().await? {
        for (address, relation) in [
            (residence, HouseRelation::Residence),
            (hukou, HouseRelation::Hukou),
        ] {
            let Some(address) = address else { continue };
            let parts = parse_address(&address);
            let Some(key) = parts.dwelling() else {
                continue;
            };
            links.push(PersonHouse {
                person,
                address_key: key,
                town: parts.town,
                village: parts.village,
                relation,
            });
        }
    }
    let counts = store.replace_person_houses(&links).await?;
    tracing::info!(houses = counts.houses, links = counts.links, "人房 derived");
    Ok(counts)
}
