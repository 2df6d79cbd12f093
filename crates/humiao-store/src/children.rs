//! Children within a user's jurisdiction: lists, search and the pieces of a child's page.
//!
//! Every query here takes the [`Actor`] and applies its scope in SQL, so a record outside the
//! user's places is never fetched, not merely hidden.

use chrono::{Months, NaiveDate};
use humiao_core::access::{Actor, Role};
use humiao_core::fact::Fact;
use humiao_core::linking::LinkRule;
use humiao_core::policy::{Category, Reason};
use humiao_core::{
    MentionRole, Person, PersonId, RegionCode, RegionLevel, RelationKind, SourceRecordId,
};

use crate::population::{fact_from_row, person_from_row, PERSON_COLUMNS};
use crate::risk::RiskOverrideRow;
use crate::{corrupt, date_text, get, parse_date, Arg, Result, Sql, Store, StoreError};

/// Appends a condition limiting rows to the actor's jurisdiction. `place` is the column with
/// the grid the record is placed in, `fallback` the column used when it is NULL (registration).
pub(crate) fn push_scope(sql: &mut Sql, actor: &Actor, place: &str, fallback: &str) {
    if !actor.role.sees_children() || actor.jurisdiction.is_empty() {
        sql.push("1 = 0");
        return;
    }
    // "In the region" as equality for a grid (one code) and a range for larger regions, so the
    // place columns' indexes serve it (a bound LIKE pattern cannot use one): region codes are
    // digits, so every code under prefix P lies in [P, P999…9] and nothing else does, in any
    // collation. With the birth date, `persons_residence_birth` answers a director's children.
    let within = |sql: &mut Sql, column: &str, region: &RegionCode| {
        let prefix = region.scope_prefix();
        if region.level() == RegionLevel::Grid {
            sql.push(&format!("{column} = "))
                .bind(Arg::Text(prefix.to_string()));
        } else {
            sql.push(&format!("({column} >= "))
                .bind(Arg::Text(prefix.to_string()))
                .push(&format!(" AND {column} <= "))
                .bind(Arg::Text(format!("{prefix}{}", "9".repeat(20))))
                .push(")");
        }
    };
    sql.push("(");
    for (i, region) in actor.jurisdiction.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        if actor.role == Role::ChildDirector {
            within(sql, place, region);
        } else {
            sql.push("(");
            within(sql, place, region);
            sql.push(&format!(" OR ({place} IS NULL AND "));
            within(sql, fallback, region);
            sql.push("))");
        }
    }
    sql.push(")");
}

/// Birth dates of minors on `as_of`: after this date (exclusive) and not after `as_of`.
pub(crate) fn minor_born_after(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_months(Months::new(12 * 18))
        .unwrap_or(NaiveDate::MIN)
}

/// The persons' columns as read through the alias `p`.
fn p_columns() -> String {
    PERSON_COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sorts persons into the order of `ids`.
fn in_order_of(persons: &mut [Person], ids: &[PersonId]) {
    let order: std::collections::HashMap<PersonId, usize> =
        ids.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    persons.sort_by_key(|p| order.get(&p.id).copied());
}

#[derive(Debug, Clone, Default)]
pub struct ChildFilter {
    pub as_of: NaiveDate,
    /// Part of the name, or a full citizen ID.
    pub query: Option<String>,
    pub category: Option<Category>,
    /// A town, village or grid to narrow to.
    pub place: Option<RegionCode>,
    pub with_open_alert: bool,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChildSummary {
    pub person: Person,
    pub categories: Vec<Category>,
    pub open_alerts: i64,
    /// The most severe level of the child's latest risk assessment, if assessed.
    pub risk: Option<RiskLevelSummary>,
}

/// A risk level as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskLevelSummary {
    /// The risk model's code.
    pub model: String,
    /// Index into the model's levels, 0 the most severe.
    pub level: i64,
    pub label: String,
    pub colour: String,
    pub assessed_on: NaiveDate,
    /// Set by a person (the label is theirs) rather than by the model.
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    pub category: Category,
    pub reasons: Vec<Reason>,
    pub policy: String,
    pub since: NaiveDate,
    pub assessed_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RelativeRow {
    pub kind: RelationKind,
    pub person: Person,
    pub source: SourceRecordId,
}

/// A fact with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRow {
    pub fact: Fact,
    pub department: String,
    pub file_name: String,
    pub line: i64,
}

/// A source record linked to a person, with how it was linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedRecordRow {
    pub id: SourceRecordId,
    pub department: String,
    pub record_kind: String,
    pub file_name: String,
    pub line: i64,
    pub role: MentionRole,
    pub rule: Option<LinkRule>,
    pub explanation: String,
    pub raw_json: String,
}

impl Store {
    /// Children in the actor's jurisdiction matching the filter, by name.
    pub async fn list_children(
        &self,
        actor: &Actor,
        filter: &ChildFilter,
    ) -> Result<Vec<ChildSummary>> {
        let mut sql = Sql::new(&format!("SELECT {} FROM persons p WHERE ", p_columns()));
        push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
        sql.push(" AND p.birth_date > ")
            .bind(Arg::Text(date_text(minor_born_after(filter.as_of))))
            .push(" AND p.birth_date <= ")
            .bind(Arg::Text(date_text(filter.as_of)));
        if let Some(q) = filter
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            sql.push(" AND (p.name LIKE ")
                .bind(Arg::Text(format!("%{q}%")))
                .push(" OR p.citizen_id = ")
                .bind(Arg::Text(q.to_uppercase()))
                .push(")");
        }
        if let Some(place) = &filter.place {
            let pattern = format!("{}%", place.scope_prefix());
            sql.push(" AND (p.residence_grid LIKE ")
                .bind(Arg::Text(pattern.clone()))
                .push(" OR (p.residence_grid IS NULL AND p.hukou_region LIKE ")
                .bind(Arg::Text(pattern))
                .push("))");
        }
        if let Some(category) = filter.category {
            sql.push(
                " AND EXISTS (SELECT 1 FROM child_categories c WHERE c.person_id = p.id AND \
                 c.category = ",
            )
            .bind(Arg::Text(category.code().into()))
            .push(")");
        }
        if filter.with_open_alert {
            sql.push(
                " AND EXISTS (SELECT 1 FROM alerts a WHERE a.person_id = p.id AND \
                 a.status = 'open')",
            );
        }
        sql.push(" ORDER BY p.name, p.id LIMIT ")
            .bind(Arg::Int(filter.limit.max(1)))
            .push(" OFFSET ")
            .bind(Arg::Int(filter.offset.max(0)));
        let persons = self.persons_by(&sql).await?;
        self.summarise(persons).await
    }

    /// The persons a query of `p_columns()` returns, in its order.
    async fn persons_by(&self, sql: &Sql) -> Result<Vec<Person>> {
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(person_from_row)
            .collect()
    }

    /// Children by id as lists show them, whoever's they are: for the pipeline's batch work
    /// (the visit schedule), never for a user's request. Order follows `ids`; unknown ids are
    /// left out.
    pub async fn child_summaries_unscoped(&self, ids: &[PersonId]) -> Result<Vec<ChildSummary>> {
        self.summaries_of(None, ids).await
    }

    /// Children in the actor's scope by id, as lists show them, in the order of `ids`; ids
    /// outside the scope are left out.
    pub async fn child_summaries(
        &self,
        actor: &Actor,
        ids: &[PersonId],
    ) -> Result<Vec<ChildSummary>> {
        self.summaries_of(Some(actor), ids).await
    }

    /// Children by id in the order of `ids`, within `scope` if given.
    async fn summaries_of(
        &self,
        scope: Option<&Actor>,
        ids: &[PersonId],
    ) -> Result<Vec<ChildSummary>> {
        let mut out = Vec::with_capacity(ids.len());
        // In chunks, as a bound list has a size limit (SQLite: 32,766 values).
        for chunk in ids.chunks(1000) {
            let mut sql = Sql::new(&format!(
                "SELECT {} FROM persons p WHERE p.id IN (",
                p_columns()
            ));
            sql.push_ids(&chunk.iter().map(|p| p.0).collect::<Vec<_>>())
                .push(")");
            if let Some(actor) = scope {
                sql.push(" AND ");
                push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
            }
            let mut persons = self.persons_by(&sql).await?;
            in_order_of(&mut persons, chunk);
            out.extend(self.summarise(persons).await?);
        }
        Ok(out)
    }

    /// Persons with their categories, open alerts and latest risk level, in the given order.
    async fn summarise(&self, persons: Vec<Person>) -> Result<Vec<ChildSummary>> {
        if persons.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = persons.iter().map(|p| p.id.0).collect();
        // One query per kind of data, not one per child.
        let categories =
            Sql::new("SELECT person_id, category FROM child_categories WHERE person_id IN (")
                .push_ids(&ids)
                .push(") ORDER BY category")
                .query()
                .fetch_all(&self.pool)
                .await?;
        let alerts = Sql::new(
            "SELECT person_id, COUNT(*) AS n FROM alerts WHERE status = 'open' AND person_id IN (",
        )
        .push_ids(&ids)
        .push(") GROUP BY person_id")
        .query()
        .fetch_all(&self.pool)
        .await?;
        // Each model's latest assessment only (one row per day accumulates); latest date first,
        // most severe level first: the first row per child is the one shown.
        let risks = Sql::new(
            "SELECT person_id, model, assessed_on, level, level_label, colour FROM risk_assessments r \
             WHERE person_id IN (",
        )
        .push_ids(&ids)
        .push(
            ") AND assessed_on = (SELECT MAX(l.assessed_on) FROM risk_assessments l WHERE \
             l.person_id = r.person_id AND l.model = r.model) ORDER BY person_id, assessed_on DESC, level",
        )
        .query()
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ChildSummary> = persons
            .into_iter()
            .map(|person| ChildSummary {
                person,
                categories: Vec::new(),
                open_alerts: 0,
                risk: None,
            })
            .collect();
        let position: std::collections::HashMap<i64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, s)| (s.person.id.0, i))
            .collect();
        let overrides = self.latest_overrides(&ids).await?;
        let mut overrides_of: std::collections::HashMap<i64, Vec<&RiskOverrideRow>> =
            std::collections::HashMap::new();
        for o in &overrides {
            overrides_of.entry(o.set.person.0).or_default().push(o);
        }
        for row in &risks {
            let id: i64 = get(row, "person_id")?;
            let Some(s) = position
                .get(&id)
                .map(|&i| &mut out[i])
                .filter(|s| s.risk.is_none())
            else {
                // Not this child's latest assessment: the first row per child is the one shown.
                continue;
            };
            let model: String = get(row, "model")?;
            let computed: i64 = get(row, "level")?;
            // A person's level holds while the model still gives the level it overrode.
            let set_by_person = overrides_of
                .get(&id)
                .into_iter()
                .flatten()
                .find(|o| o.set.model == model && o.holds_at(computed))
                .map(|o| &o.set);
            s.risk = Some(match set_by_person {
                Some(o) => RiskLevelSummary {
                    model: model.clone(),
                    level: o.level,
                    label: o.level_label.clone(),
                    colour: o.colour.clone(),
                    assessed_on: parse_date(&get::<String>(row, "assessed_on")?)?,
                    overridden: true,
                },
                None => RiskLevelSummary {
                    model: model.clone(),
                    level: computed,
                    label: get(row, "level_label")?,
                    colour: get(row, "colour")?,
                    assessed_on: parse_date(&get::<String>(row, "assessed_on")?)?,
                    overridden: false,
                },
            });
        }
        for row in &categories {
            let id: i64 = get(row, "person_id")?;
            let c: String = get(row, "category")?;
            let category = Category::parse(&c).ok_or_else(|| corrupt("category", &c))?;
            if let Some(&i) = position.get(&id) {
                out[i].categories.push(category);
            }
        }
        for row in &alerts {
            let id: i64 = get(row, "person_id")?;
            if let Some(&i) = position.get(&id) {
                out[i].open_alerts = get(row, "n")?;
            }
        }
        Ok(out)
    }

    /// One person, only if within the actor's jurisdiction; otherwise `NotFound`, exactly as
    /// if the person did not exist.
    pub async fn person_in_scope(&self, actor: &Actor, id: PersonId) -> Result<Person> {
        let mut sql = Sql::new(&format!("SELECT {PERSON_COLUMNS} FROM persons WHERE id = "));
        sql.bind(Arg::Int(id.0)).push(" AND ");
        push_scope(&mut sql, actor, "residence_grid", "hukou_region");
        let row = sql
            .query()
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        person_from_row(&row)
    }

    /// A person by id without scoping: for internal jobs (pipeline, CLI), never for requests.
    pub async fn person_unscoped(&self, id: PersonId) -> Result<Person> {
        let row = sqlx::query(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        person_from_row(&row)
    }

    pub async fn relatives(&self, child: PersonId) -> Result<Vec<RelativeRow>> {
        let columns = p_columns();
        let rows = sqlx::query(&format!(
            "SELECT r.kind, r.source_record_id, {columns} FROM relationships r \
             JOIN persons p ON p.id = r.relative_id WHERE r.child_id = $1 ORDER BY r.kind"
        ))
        .bind(child.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, "kind")?;
                Ok(RelativeRow {
                    kind: RelationKind::parse(&kind).ok_or_else(|| corrupt("relation", &kind))?,
                    person: person_from_row(row)?,
                    source: SourceRecordId(get(row, "source_record_id")?),
                })
            })
            .collect()
    }

    /// Facts about these persons, each with its department, file and line.
    pub async fn facts_with_sources(&self, persons: &[PersonId]) -> Result<Vec<FactRow>> {
        if persons.is_empty() {
            return Ok(Vec::new());
        }
        let ids = crate::id_list(persons);
        let rows = sqlx::query(&format!(
            "SELECT f.person_id, f.detail_json, f.valid_from, f.valid_to, f.source_record_id, \
             s.department, s.file_name, s.line FROM facts f \
             JOIN source_records s ON s.id = f.source_record_id \
             WHERE f.person_id IN ({ids}) ORDER BY f.person_id, f.valid_from, f.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FactRow {
                    fact: fact_from_row(row)?,
                    department: get(row, "department")?,
                    file_name: get(row, "file_name")?,
                    line: get(row, "line")?,
                })
            })
            .collect()
    }

    pub async fn categories_of(&self, person: PersonId) -> Result<Vec<CategoryRow>> {
        let rows = sqlx::query(
            "SELECT category, reasons_json, policy, since, assessed_on FROM child_categories \
             WHERE person_id = $1 ORDER BY category",
        )
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let c: String = get(row, "category")?;
                let reasons: String = get(row, "reasons_json")?;
                Ok(CategoryRow {
                    category: Category::parse(&c).ok_or_else(|| corrupt("category", &c))?,
                    reasons: serde_json::from_str(&reasons)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    policy: get(row, "policy")?,
                    since: crate::parse_date(&get::<String>(row, "since")?)?,
                    assessed_on: crate::parse_date(&get::<String>(row, "assessed_on")?)?,
                })
            })
            .collect()
    }

    pub async fn linked_records(&self, person: PersonId) -> Result<Vec<LinkedRecordRow>> {
        let rows = sqlx::query(
            "SELECT s.id, s.department, s.record_kind, s.file_name, s.line, s.raw_json, l.role, \
             l.rule, l.explanation FROM record_links l \
             JOIN source_records s ON s.id = l.source_record_id \
             WHERE l.person_id = $1 ORDER BY s.id",
        )
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = get(row, "role")?;
                let rule: Option<String> = get(row, "rule")?;
                Ok(LinkedRecordRow {
                    id: SourceRecordId(get(row, "id")?),
                    department: get(row, "department")?,
                    record_kind: get(row, "record_kind")?,
                    file_name: get(row, "file_name")?,
                    line: get(row, "line")?,
                    role: MentionRole::parse(&role).ok_or_else(|| corrupt("role", &role))?,
                    rule: rule.as_deref().and_then(LinkRule::parse),
                    explanation: get(row, "explanation")?,
                    raw_json: get(row, "raw_json")?,
                })
            })
            .collect()
    }
}
