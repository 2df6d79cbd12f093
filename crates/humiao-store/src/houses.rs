//! 人房 (people ↔ houses) and households (户): which persons live or are registered at which
//! dwelling, derived from the golden records after each linking run.

use std::collections::HashMap;

use chrono::Utc;
use humiao_core::{Person, PersonId};

use crate::population::{person_from_row, PERSON_COLUMNS};
use crate::{get, now_text, Arg, Result, Sql, Store};

/// How a person is tied to a house.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HouseRelation {
    /// 居住地
    Residence,
    /// 户籍地
    Hukou,
}

impl HouseRelation {
    pub fn code(self) -> &'static str {
        match self {
            Self::Residence => "residence",
            Self::Hukou => "hukou",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "residence" => Some(Self::Residence),
            "hukou" => Some(Self::Hukou),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Residence => "居住地",
            Self::Hukou => "户籍地",
        }
    }
}

/// One person ↔ house link to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHouse {
    pub person: PersonId,
    /// The dwelling in its standard spelling (`AddressParts::dwelling`).
    pub address_key: String,
    pub town: Option<String>,
    pub village: Option<String>,
    pub relation: HouseRelation,
}

/// A house a person is tied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseRow {
    pub id: i64,
    pub address_key: String,
    pub town: Option<String>,
    pub village: Option<String>,
    pub relation: HouseRelation,
}

/// A person at a house (or in a household), with how they are tied to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidentRow {
    pub person: Person,
    pub relation: HouseRelation,
}

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HouseCounts {
    pub houses: usize,
    pub links: usize,
}

const CHUNK: usize = 400;

impl Store {
    /// Replaces every person ↔ house link by `links`, in one transaction. A house keeps its id as
    /// long as some person is tied to it; houses nobody is tied to any more are removed.
    pub async fn replace_person_houses(&self, links: &[PersonHouse]) -> Result<HouseCounts> {
        let mut tx = self.begin_write().await?;
        let now = now_text(Utc::now());
        let mut houses: HashMap<&str, (&Option<String>, &Option<String>)> = HashMap::new();
        for l in links {
            houses
                .entry(l.address_key.as_str())
                .or_insert((&l.town, &l.village));
        }
        let mut keys: Vec<&str> = houses.keys().copied().collect();
        keys.sort_unstable();
        for chunk in keys.chunks(CHUNK) {
            let mut sql =
                Sql::new("INSERT INTO houses (address_key, town, village, created_at) VALUES ");
            for (i, key) in chunk.iter().enumerate() {
                let (town, village) = houses[key];
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(Arg::Text(key.to_string()))
                    .push(", ")
                    .bind(Arg::Text(town.clone().unwrap_or_default()))
                    .push(", ")
                    .bind(Arg::Text(village.clone().unwrap_or_default()))
                    .push(", ")
                    .bind(Arg::Text(now.clone()))
                    .push(")");
            }
            sql.push(" ON CONFLICT (address_key) DO NOTHING");
            sql.query().execute(&mut *tx.tx).await?;
        }
        let ids: HashMap<String, i64> = sqlx::query("SELECT id, address_key FROM houses")
            .fetch_all(&mut *tx.tx)
            .await?
            .iter()
            .map(|row| Ok((get::<String>(row, "address_key")?, get::<i64>(row, "id")?)))
            .collect::<Result<_>>()?;
        sqlx::query("DELETE FROM person_houses")
            .execute(&mut *tx.tx)
            .await?;
        let mut rows: Vec<(i64, i64, &str)> = links
            .iter()
            .filter_map(|l| {
                ids.get(&l.address_key)
                    .map(|&h| (l.person.0, h, l.relation.code()))
            })
            .collect();
        rows.sort_unstable();
        rows.dedup();
        for chunk in rows.chunks(CHUNK) {
            let mut sql =
                Sql::new("INSERT INTO person_houses (person_id, house_id, relation) VALUES ");
            for (i, (person, house, relation)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(Arg::Int(*person))
                    .push(", ")
                    .bind(Arg::Int(*house))
                    .push(", ")
                    .bind(Arg::Text(relation.to_string()))
                    .push(")");
            }
            sql.query().execute(&mut *tx.tx).await?;
        }
        sqlx::query("DELETE FROM houses WHERE id NOT IN (SELECT house_id FROM person_houses)")
            .execute(&mut *tx.tx)
            .await?;
        let houses = rows
            .iter()
            .map(|(_, h, _)| *h)
            .collect::<std::collections::HashSet<_>>()
            .len();
        tx.commit().await?;
        Ok(HouseCounts {
            houses,
            links: rows.len(),
        })
    }

    /// The houses a person is tied to.
    pub async fn houses_of(&self, person: PersonId) -> Result<Vec<HouseRow>> {
        sqlx::query(
            "SELECT h.id, h.address_key, h.town, h.village, ph.relation FROM person_houses ph \
             JOIN houses h ON h.id = ph.house_id WHERE ph.person_id = $1 \
             ORDER BY ph.relation DESC, h.address_key",
        )
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let relation: String = get(row, "relation")?;
            let text = |c: &str| -> Result<Option<String>> {
                Ok(get::<Option<String>>(row, c)?.filter(|s| !s.is_empty()))
            };
            Ok(HouseRow {
                id: get(row, "id")?,
                address_key: get(row, "address_key")?,
                town: text("town")?,
                village: text("village")?,
                relation: HouseRelation::parse(&relation)
                    .ok_or_else(|| crate::corrupt("house relation", &relation))?,
            })
        })
        .collect()
    }

    /// Everyone tied to a house, oldest first.
    pub async fn residents_of(&self, house: i64) -> Result<Vec<ResidentRow>> {
        let columns = PERSON_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!(
            "SELECT {columns}, ph.relation FROM person_houses ph JOIN persons p ON p.id = ph.person_id \
             WHERE ph.house_id = $1 ORDER BY p.birth_date, p.id, ph.relation DESC"
        ))
        .bind(house)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let relation: String = get(row, "relation")?;
            Ok(ResidentRow {
                person: person_from_row(row)?,
                relation: HouseRelation::parse(&relation)
                    .ok_or_else(|| crate::corrupt("house relation", &relation))?,
            })
        })
        .collect()
    }

    /// The other members of a person's household (same 户号), oldest first.
    pub async fn household_members(&self, person: &Person) -> Result<Vec<Person>> {
        let Some(no) = person.household_no.as_deref().filter(|n| !n.is_empty()) else {
            return Ok(Vec::new());
        };
        sqlx::query(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE household_no = $1 AND id <> $2 \
             ORDER BY birth_date, id"
        ))
        .bind(no.to_string())
        .bind(person.id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(person_from_row)
        .collect()
    }
}

impl Store {
    /// Every person's residence and registration address as written on the golden record.
    pub async fn person_addresses(
        &self,
    ) -> Result<Vec<(PersonId, Option<String>, Option<String>)>> {
        sqlx::query(
            "SELECT id, residence_address, hukou_address FROM persons \
             WHERE residence_address IS NOT NULL OR hukou_address IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                PersonId(get(row, "id")?),
                get(row, "residence_address")?,
                get(row, "hukou_address")?,
            ))
        })
        .collect()
    }
}
