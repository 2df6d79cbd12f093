//! Golden records and what hangs off them: links from source records, relationships, facts,
//! and the categories decided by assessment.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use humiao_core::fact::{Fact, FactKind};
use humiao_core::linking::LinkRule;
use humiao_core::policy::{Category, Decision, Observation};
use humiao_core::{
    CitizenId, MentionRole, Person, PersonId, PersonName, RegionCode, RelationKind, Sex,
    SourceRecordId,
};
use sqlx::any::AnyRow;

use crate::alerts::{insert_alert, NewAlert};
use crate::{
    corrupt, date_text, get, now_text, parse_date, parse_opt_date, Arg, Result, Sql, Store,
    StoreError, WriteTx,
};

/// Identity fields for a new or updated golden record, and the record they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson {
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub hukou_region: Option<RegionCode>,
    pub hukou_address: Option<String>,
    pub residence_grid: Option<RegionCode>,
    pub residence_address: Option<String>,
    pub household_no: Option<String>,
    pub source: SourceRecordId,
}

fn relationship_from_row(row: &sqlx::any::AnyRow) -> Result<(PersonId, RelationKind, PersonId)> {
    let kind: String = get(row, "kind")?;
    Ok((
        PersonId(get(row, "child_id")?),
        RelationKind::parse(&kind).ok_or_else(|| corrupt("relation", &kind))?,
        PersonId(get(row, "relative_id")?),
    ))
}

fn category_from_row(row: &sqlx::any::AnyRow) -> Result<(PersonId, Category)> {
    let c: String = get(row, "category")?;
    Ok((
        PersonId(get(row, "person_id")?),
        Category::parse(&c).ok_or_else(|| corrupt("category", &c))?,
    ))
}

/// Everything assessment reads, loaded at once (a county fits in memory).
#[derive(Debug, Default)]
pub struct Population {
    pub persons: Vec<Person>,
    pub relationships: Vec<(PersonId, RelationKind, PersonId)>,
    pub facts: Vec<Fact>,
    pub categories: Vec<(PersonId, Category)>,
    /// Codes of rural villages (村), for 农村留守儿童.
    pub rural_villages: Vec<RegionCode>,
    /// The directors' observations of visit-fed risk indicators, by child.
    pub observations: Vec<(PersonId, Observation)>,
}

/// A mention that could not be linked, for the list the centre reviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedRow {
    pub source_record_id: SourceRecordId,
    pub department: String,
    pub file_name: String,
    pub line: i64,
    pub role: MentionRole,
    pub reason: String,
}

pub(crate) fn person_from_row(row: &AnyRow) -> Result<Person> {
    let citizen_id: Option<String> = get(row, "citizen_id")?;
    let name: String = get(row, "name")?;
    let sex: String = get(row, "sex")?;
    let birth: String = get(row, "birth_date")?;
    let region = |col: &str| -> Result<Option<RegionCode>> {
        let v: Option<String> = get(row, col)?;
        v.map(|s| RegionCode::parse(&s).map_err(|_| corrupt("region", &s)))
            .transpose()
    };
    Ok(Person {
        id: PersonId(get(row, "id")?),
        citizen_id: citizen_id
            .map(|s| CitizenId::parse(&s).map_err(|_| corrupt("citizen id", "…")))
            .transpose()?,
        name: PersonName::parse(&name).map_err(|_| corrupt("name", "…"))?,
        sex: Sex::parse(&sex).ok_or_else(|| corrupt("sex", &sex))?,
        birth_date: parse_date(&birth)?,
        hukou_region: region("hukou_region")?,
        hukou_address: get(row, "hukou_address")?,
        residence_grid: region("residence_grid")?,
        residence_address: get(row, "residence_address")?,
        household_no: get(row, "household_no")?,
    })
}

pub(crate) const PERSON_COLUMNS: &str = "id, citizen_id, name, sex, birth_date, hukou_region, \
    hukou_address, residence_grid, residence_address, household_no";

pub(crate) fn fact_from_row(row: &AnyRow) -> Result<Fact> {
    let detail: String = get(row, "detail_json")?;
    let kind: FactKind = serde_json::from_str(&detail)
        .map_err(|e| StoreError::Corrupt(format!("fact {detail}: {e}")))?;
    Ok(Fact {
        person: PersonId(get(row, "person_id")?),
        kind,
        valid_from: parse_opt_date(get(row, "valid_from")?)?,
        valid_to: parse_opt_date(get(row, "valid_to")?)?,
        source: SourceRecordId(get(row, "source_record_id")?),
    })
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the identity fields of `p` as `$1`..`$10`, in the order both the INSERT and the
/// UPDATE of a person list them.
pub(crate) fn bind_identity<'q>(query: AnyQuery<'q>, p: &NewPerson) -> AnyQuery<'q> {
    query
        .bind(p.citizen_id.as_ref().map(|c| c.to_string()))
        .bind(p.name.to_string())
        .bind(p.sex.as_str())
        .bind(date_text(p.birth_date))
        .bind(p.hukou_region.as_ref().map(|c| c.to_string()))
        .bind(p.hukou_address.clone())
        .bind(p.residence_grid.as_ref().map(|c| c.to_string()))
        .bind(p.residence_address.clone())
        .bind(p.household_no.clone())
        .bind(p.source.0)
}

/// Writes the results of one linking run in one transaction.
pub struct LinkWriter<'a> {
    pub(crate) tx: WriteTx<'a>,
    pub(crate) now: String,
}

impl LinkWriter<'_> {
    pub async fn create_person(&mut self, p: &NewPerson) -> Result<PersonId> {
        let row = bind_identity(
            sqlx::query(
            "INSERT INTO persons (citizen_id, name, sex, birth_date, hukou_region, hukou_address, \
             residence_grid, residence_address, household_no, identity_source_id, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            ),
            p,
        )
        .bind(self.now.clone())
        .fetch_one(&mut *self.tx.tx)
        .await?;
        Ok(PersonId(get(&row, "id")?))
    }

    /// Replaces the identity fields of a person with those of a more trusted record (the
    /// household register). The person keeps their ID.
    pub async fn update_identity(&mut self, id: PersonId, p: &NewPerson) -> Result<()> {
        bind_identity(
            sqlx::query(
                "UPDATE persons SET citizen_id = COALESCE($1, citizen_id), name = $2, sex = $3, \
             birth_date = $4, hukou_region = $5, hukou_address = $6, residence_grid = $7, \
             residence_address = $8, household_no = $9, identity_source_id = $10, \
             updated_at = $11 WHERE id = $12",
            ),
            p,
        )
        .bind(self.now.clone())
        .bind(id.0)
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    /// Records how one mention of a record was resolved (person `None` = unmatched).
    pub async fn link_mention(
        &mut self,
        record: SourceRecordId,
        role: MentionRole,
        person: Option<PersonId>,
        rule: Option<LinkRule>,
        explanation: &str,
    ) -> Result<()> {
        self.link_mention_scored(record, role, person, rule, explanation, None)
            .await
    }

    /// As [`LinkWriter::link_mention`], with the match probability of the strongest link.
    pub async fn link_mention_scored(
        &mut self,
        record: SourceRecordId,
        role: MentionRole,
        person: Option<PersonId>,
        rule: Option<LinkRule>,
        explanation: &str,
        probability: Option<f64>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO record_links (source_record_id, role, person_id, rule, explanation, \
             probability) VALUES ($1, $2, $3, $4, $5, CAST($6 AS DOUBLE PRECISION)) \
             ON CONFLICT (source_record_id, role) \
             DO UPDATE SET person_id = excluded.person_id, rule = excluded.rule, \
             explanation = excluded.explanation, probability = excluded.probability",
        )
        .bind(record.0)
        .bind(role.as_str())
        .bind(person.map(|p| p.0))
        .bind(rule.map(|r| r.code()))
        .bind(explanation.to_string())
        .bind(crate::float_arg(probability))
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    /// Clears a person's citizen ID (before another person takes it over in a merge).
    pub async fn release_citizen_id(&mut self, id: PersonId) -> Result<()> {
        sqlx::query("UPDATE persons SET citizen_id = NULL WHERE id = $1")
            .bind(id.0)
            .execute(&mut *self.tx.tx)
            .await?;
        Ok(())
    }

    pub async fn add_relationship(
        &mut self,
        child: PersonId,
        kind: RelationKind,
        relative: PersonId,
        source: SourceRecordId,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO relationships (child_id, relative_id, kind, source_record_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (child_id, kind, relative_id) DO NOTHING",
        )
        .bind(child.0)
        .bind(relative.0)
        .bind(kind.as_str())
        .bind(source.0)
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    pub async fn add_fact(&mut self, fact: &Fact) -> Result<()> {
        let detail =
            serde_json::to_string(&fact.kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO facts (person_id, kind, detail_json, valid_from, valid_to, \
             source_record_id) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (source_record_id, person_id, kind) DO NOTHING",
        )
        .bind(fact.person.0)
        .bind(fact.kind.code())
        .bind(detail)
        .bind(fact.valid_from.map(date_text))
        .bind(fact.valid_to.map(date_text))
        .bind(fact.source.0)
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    /// `linked` when every mention found its person, else `unmatched`.
    pub async fn mark_record(&mut self, record: SourceRecordId, all_linked: bool) -> Result<()> {
        sqlx::query("UPDATE source_records SET link_status = $1 WHERE id = $2")
            .bind(if all_linked { "linked" } else { "unmatched" })
            .bind(record.0)
            .execute(&mut *self.tx.tx)
            .await?;
        Ok(())
    }

    /// Marks many records at once (chunks of 500 ids per statement).
    pub async fn mark_records(
        &mut self,
        records: &[SourceRecordId],
        all_linked: bool,
    ) -> Result<()> {
        for chunk in records.chunks(500) {
            let mut sql = crate::Sql::new("UPDATE source_records SET link_status = ");
            sql.bind(crate::Arg::Text(
                if all_linked { "linked" } else { "unmatched" }.into(),
            ))
            .push(" WHERE id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(crate::Arg::Int(id.0));
            }
            sql.push(")");
            sql.query().execute(&mut *self.tx.tx).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }
}

/// The outcome of assessing a set of children, written at once.
#[derive(Debug, Clone, Default)]
pub struct AssessmentWrite {
    pub as_of: NaiveDate,
    /// Current decisions (inserted or refreshed).
    pub decisions: Vec<(PersonId, Decision)>,
    /// Categories a child no longer has.
    pub removed: Vec<(PersonId, Category)>,
    pub alerts: Vec<NewAlert>,
    /// Risk outcomes of this assessment (one per child and model).
    pub risks: Vec<crate::RiskRow>,
}

impl Store {
    pub async fn link_writer(&self) -> Result<LinkWriter<'_>> {
        Ok(LinkWriter {
            tx: self.begin_write().await?,
            now: now_text(Utc::now()),
        })
    }

    pub async fn load_population(&self) -> Result<Population> {
        let persons = sqlx::query(&format!("SELECT {PERSON_COLUMNS} FROM persons ORDER BY id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(person_from_row)
            .collect::<Result<Vec<_>>>()?;
        let relationships = sqlx::query(
            "SELECT child_id, kind, relative_id FROM relationships ORDER BY child_id, kind",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(relationship_from_row)
        .collect::<Result<Vec<_>>>()?;
        let facts = sqlx::query(
            "SELECT person_id, detail_json, valid_from, valid_to, source_record_id FROM facts \
             ORDER BY person_id, id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(fact_from_row)
        .collect::<Result<Vec<_>>>()?;
        let categories = sqlx::query("SELECT person_id, category FROM child_categories")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(category_from_row)
            .collect::<Result<Vec<_>>>()?;
        let rural_villages = self.rural_villages().await?;
        let observations = self.observations_of(None).await?;
        Ok(Population {
            observations,
            persons,
            relationships,
            facts,
            categories,
            rural_villages,
        })
    }

    /// The part of the population one or a few children's assessment needs: those children,
    /// their relationships, their relatives and the other members of their 户 as persons,
    /// everyone's facts, the children's current categories and the rural villages.
    pub async fn load_population_of(&self, children: &[PersonId]) -> Result<Population> {
        let mut population = Population {
            persons: Vec::new(),
            relationships: Vec::new(),
            facts: Vec::new(),
            categories: Vec::new(),
            rural_villages: self.rural_villages().await?,
            observations: self.observations_of(Some(children)).await?,
        };
        if children.is_empty() {
            return Ok(population);
        }
        // Ids are integers, so inlining them is safe; one query per table, not one per child.
        let list = |ids: &mut dyn Iterator<Item = i64>| {
            ids.map(|id| id.to_string()).collect::<Vec<_>>().join(",")
        };
        let child_ids = list(&mut children.iter().map(|p| p.0));
        population.relationships = sqlx::query(&format!(
            "SELECT child_id, kind, relative_id FROM relationships WHERE child_id IN ({child_ids}) \
             ORDER BY child_id, kind"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(relationship_from_row)
        .collect::<Result<Vec<_>>>()?;
        let mut everyone: Vec<i64> = children.iter().map(|p| p.0).collect();
        everyone.extend(population.relationships.iter().map(|(_, _, r)| r.0));
        let housemates = sqlx::query(&format!(
            "SELECT id FROM persons WHERE household_no IN (SELECT household_no FROM persons \
             WHERE id IN ({child_ids}) AND household_no IS NOT NULL)"
        ))
        .fetch_all(&self.pool)
        .await?;
        for row in &housemates {
            everyone.push(get(row, "id")?);
        }
        everyone.sort_unstable();
        everyone.dedup();
        let everyone = list(&mut everyone.into_iter());
        population.persons = sqlx::query(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE id IN ({everyone}) ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(person_from_row)
        .collect::<Result<Vec<_>>>()?;
        population.facts = sqlx::query(&format!(
            "SELECT person_id, detail_json, valid_from, valid_to, source_record_id FROM facts \
             WHERE person_id IN ({everyone}) ORDER BY person_id, id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(fact_from_row)
        .collect::<Result<Vec<_>>>()?;
        population.categories = sqlx::query(&format!(
            "SELECT person_id, category FROM child_categories WHERE person_id IN ({child_ids})"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(category_from_row)
        .collect::<Result<Vec<_>>>()?;
        Ok(population)
    }

    /// The children of these persons (as recorded in relationships), for re-assessing a
    /// family after a parent's record changes.
    pub async fn children_of(&self, parents: &[PersonId]) -> Result<Vec<PersonId>> {
        if parents.is_empty() {
            return Ok(Vec::new());
        }
        let ids = crate::id_list(parents);
        sqlx::query(&format!(
            "SELECT DISTINCT child_id FROM relationships WHERE relative_id IN ({ids}) \
             AND kind IN ('father', 'mother') ORDER BY child_id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok(PersonId(get(row, "child_id")?)))
        .collect()
    }

    async fn rural_villages(&self) -> Result<Vec<RegionCode>> {
        Ok(sqlx::query(
            "SELECT code FROM regions WHERE level = 'village' AND rural = 1 ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .filter_map(|row| {
            get::<String>(row, "code")
                .ok()
                .and_then(|c| RegionCode::parse(&c).ok())
        })
        .collect())
    }

    /// Writes decisions, removals and alerts in one transaction. Returns the number of alerts
    /// actually raised (a duplicate trigger or an open alert for the same reason is skipped).
    pub async fn apply_assessment(&self, write: &AssessmentWrite) -> Result<usize> {
        Ok(self.apply_assessment_raising(write).await?.len())
    }

    /// [`Self::apply_assessment`], returning which of `write.alerts` were raised (their
    /// indices), for notifications.
    pub async fn apply_assessment_raising(&self, write: &AssessmentWrite) -> Result<Vec<usize>> {
        let mut tx = self.begin_write().await?;
        let as_of = date_text(write.as_of);
        for (person, category) in &write.removed {
            sqlx::query("DELETE FROM child_categories WHERE person_id = $1 AND category = $2")
                .bind(person.0)
                .bind(category.code())
                .execute(&mut *tx.tx)
                .await?;
            // A director's decision was about this finding: if the rules find the category
            // again, it is a new finding to verify.
            crate::verifications::lapse(&mut tx.tx, *person, *category, write.as_of).await?;
        }
        // Many rows per statement: a county's decisions are tens of thousands of rows. A row
        // may appear once per statement (PostgreSQL refuses to update one row twice), so a
        // second decision of the same category for a child (two entitlements 应保未保) is
        // dropped: the first already says it.
        let mut seen = std::collections::HashSet::new();
        let decisions: Vec<_> = write
            .decisions
            .iter()
            .filter(|(p, d)| seen.insert((*p, d.category)))
            .collect();
        for chunk in decisions.chunks(200) {
            let mut sql = Sql::new(
                "INSERT INTO child_categories (person_id, category, reasons_json, policy, since, \
                 assessed_on) VALUES ",
            );
            for (i, (person, decision)) in chunk.iter().copied().enumerate() {
                let reasons = serde_json::to_string(&decision.reasons)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(Arg::Int(person.0))
                    .push(", ")
                    .bind(Arg::Text(decision.category.code().into()))
                    .push(", ")
                    .bind(Arg::Text(reasons))
                    .push(", ")
                    .bind(Arg::Text(decision.policy.clone()))
                    .push(", ")
                    .bind(Arg::Text(as_of.clone()))
                    .push(", ")
                    .bind(Arg::Text(as_of.clone()))
                    .push(")");
            }
            sql.push(
                " ON CONFLICT (person_id, category) DO UPDATE SET \
                 reasons_json = excluded.reasons_json, policy = excluded.policy, \
                 assessed_on = excluded.assessed_on",
            );
            sql.query().execute(&mut *tx.tx).await?;
        }
        crate::risk::upsert_risks(&mut tx.tx, &write.risks).await?;
        let mut raised = Vec::new();
        for (i, alert) in write.alerts.iter().enumerate() {
            if insert_alert(&mut tx.tx, alert, write.as_of).await? {
                raised.push(i);
            }
        }
        tx.commit().await?;
        Ok(raised)
    }

    /// Mentions that found no person, newest first.
    pub async fn unmatched(&self, limit: i64) -> Result<Vec<UnmatchedRow>> {
        let rows = sqlx::query(
            "SELECT l.source_record_id, s.department, s.file_name, s.line, l.role, l.explanation \
             FROM record_links l JOIN source_records s ON s.id = l.source_record_id \
             WHERE l.person_id IS NULL ORDER BY l.source_record_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = get(row, "role")?;
                Ok(UnmatchedRow {
                    source_record_id: SourceRecordId(get(row, "source_record_id")?),
                    department: get(row, "department")?,
                    file_name: get(row, "file_name")?,
                    line: get(row, "line")?,
                    role: MentionRole::parse(&role).ok_or_else(|| corrupt("role", &role))?,
                    reason: get(row, "explanation")?,
                })
            })
            .collect()
    }

    /// Counts for summaries: persons, links by rule, unmatched mentions.
    pub async fn link_summary(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        let persons = sqlx::query("SELECT COUNT(*) AS n FROM persons")
            .fetch_one(&self.pool)
            .await?;
        out.insert("persons".to_string(), get(&persons, "n")?);
        let rows = sqlx::query(
            "SELECT COALESCE(rule, 'unmatched') AS rule, COUNT(*) AS n FROM record_links \
             GROUP BY COALESCE(rule, 'unmatched')",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            out.insert(
                format!("links.{}", get::<String>(&row, "rule")?),
                get(&row, "n")?,
            );
        }
        Ok(out)
    }
}
