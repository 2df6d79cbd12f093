//! The suspected-case verification loop (疑似名单核实): which of the rules' findings a child
//! director still has to verify, their decisions, and the counts that go back to the centre
//! and into the rules' quality report.
//!
//! A finding is a row of `child_categories` in one of the [`verification::SUSPECTED`]
//! categories; it is *pending* while no current decision (`lapsed_on IS NULL`) names it (the
//! same person, category and `since`). When an assessment no longer finds the category, the
//! decisions about it lapse ([`Store::apply_assessment`] sets `lapsed_on`), so a category the
//! rules find again later is a new finding and comes back to the list.
//!
//! Every query is scoped in SQL by the actor: the finding by where the child lives, a decision
//! by the grid the child lived in when it was made.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use humiao_core::access::Actor;
use humiao_core::policy::{Category, Reason};
use humiao_core::verification::{self, Decision, FollowUp, RejectReason, Verdict};
use humiao_core::{Person, PersonId, RegionCode};
use sqlx::any::AnyRow;

use crate::audit::{append, AuditEntry};
use crate::children::{minor_born_after, push_scope};
use crate::population::{person_from_row, PERSON_COLUMNS};
use crate::{
    corrupt, date_text, get, now_text, parse_date, Arg, Result, RiskLevelSummary, Sql, Store,
    StoreError,
};

/// A finding of the rules that the child's director has not verified yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingVerification {
    pub person: Person,
    pub category: Category,
    /// The decision's reasons (for roles that may see them).
    pub reasons: Vec<Reason>,
    /// Found since (the finding being verified).
    pub since: NaiveDate,
    /// Last confirmed by an assessment on.
    pub assessed_on: NaiveDate,
    /// The child's latest risk level (the most severe of the latest assessment), if assessed.
    pub risk: Option<RiskLevelSummary>,
    /// An open alert about the child routed into the actor's places (its detail may be
    /// revealed there with a stated purpose).
    pub open_alert: Option<i64>,
}

/// A decision to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVerification {
    pub person: PersonId,
    pub category: Category,
    /// The finding's `since` as the director's page showed it: a finding re-found since then
    /// is a different one, refused as a conflict.
    pub since: NaiveDate,
    pub decision: Decision,
    /// The rule pack in force ("name version").
    pub pack: String,
    /// The phone's identifier (a UUID) of a decision queued offline.
    pub client_id: Option<String>,
    pub now: DateTime<Utc>,
}

/// What happened to a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecidedVerification {
    pub id: i64,
    /// The same user had already sent this `client_id`: nothing was stored now.
    pub duplicate: bool,
}

/// A stored decision, with the child's name for the pages that list them.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationRow {
    pub id: i64,
    pub person_id: PersonId,
    pub child_name: String,
    pub category: Category,
    pub category_since: NaiveDate,
    pub assessed_on: NaiveDate,
    pub grid: Option<RegionCode>,
    pub decision: Decision,
    pub pack: String,
    pub username: String,
    pub user_display_name: String,
    pub decided_at: String,
    /// When the rules stopped finding the category (after the decision).
    pub lapsed_on: Option<NaiveDate>,
}

/// Per grid (where the child lives, or lived when decided) and category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerificationCount {
    pub pending: i64,
    pub confirmed: i64,
    pub rejected: i64,
}

/// The rules' precision for one category, from every decision in the county.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryQuality {
    pub category: Category,
    pub confirmed: i64,
    pub rejected: i64,
    /// Rejected findings the rules still make (the category has not lapsed).
    pub rejected_still_found: i64,
    /// Rejections by reason, most frequent first.
    pub reasons: Vec<(RejectReason, i64)>,
    /// Per rule pack in force when decided, in the order packs were first used:
    /// (pack, confirmed, rejected).
    pub by_pack: Vec<(String, i64, i64)>,
}

impl CategoryQuality {
    /// confirmed ÷ (confirmed + rejected).
    pub fn precision(&self) -> Option<f64> {
        verification::precision(self.confirmed as u64, self.rejected as u64)
    }
}

fn suspected_list() -> String {
    verification::SUSPECTED
        .iter()
        .map(|c| format!("'{}'", c.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `FROM child_categories c JOIN persons p … WHERE` pending findings of minors in the actor's
/// places on `as_of`, leaving the statement open for more conditions.
fn pending_from(sql: &mut Sql, actor: &Actor, as_of: NaiveDate) {
    sql.push(" FROM child_categories c JOIN persons p ON p.id = c.person_id WHERE ");
    push_scope(sql, actor, "p.residence_grid", "p.hukou_region");
    sql.push(&format!(" AND c.category IN ({}) ", suspected_list()))
        .push(" AND p.birth_date > ")
        .bind(Arg::Text(date_text(minor_born_after(as_of))))
        .push(" AND p.birth_date <= ")
        .bind(Arg::Text(date_text(as_of)))
        .push(
            " AND NOT EXISTS (SELECT 1 FROM verifications v WHERE v.person_id = c.person_id \
             AND v.category = c.category AND v.category_since = c.since \
             AND v.lapsed_on IS NULL)",
        );
}

fn category_of(row: &AnyRow, column: &str) -> Result<Category> {
    let c: String = get(row, column)?;
    Category::parse(&c).ok_or_else(|| corrupt("category", &c))
}

fn decision_of(row: &AnyRow) -> Result<Decision> {
    let verdict: String = get(row, "verdict")?;
    let text: String = get(row, "reason_text")?;
    Ok(
        match Verdict::parse(&verdict).ok_or_else(|| corrupt("verdict", &verdict))? {
            Verdict::Confirmed => {
                let f: Option<String> = get(row, "follow_up")?;
                let f = f.unwrap_or_default();
                Decision::Confirmed {
                    follow_up: FollowUp::parse(&f).ok_or_else(|| corrupt("follow-up", &f))?,
                    note: text,
                }
            }
            Verdict::Rejected => {
                let r: Option<String> = get(row, "reason_code")?;
                let r = r.unwrap_or_default();
                Decision::Rejected {
                    reason: RejectReason::parse(&r).ok_or_else(|| corrupt("reason", &r))?,
                    text,
                }
            }
        },
    )
}

const ROW_SELECT: &str = "SELECT v.id, v.person_id, p.name AS child_name, v.category, \
     v.category_since, v.assessed_on, v.grid_code, v.verdict, v.follow_up, v.reason_code, \
     v.reason_text, v.pack, v.username, COALESCE(u.display_name, v.username) AS display_name, \
     v.decided_at, v.lapsed_on FROM verifications v JOIN persons p ON p.id = v.person_id \
     LEFT JOIN users u ON u.id = v.user_id WHERE ";

fn verification_row(row: &AnyRow) -> Result<VerificationRow> {
    let grid: Option<String> = get(row, "grid_code")?;
    let lapsed: Option<String> = get(row, "lapsed_on")?;
    Ok(VerificationRow {
        id: get(row, "id")?,
        person_id: PersonId(get(row, "person_id")?),
        child_name: get(row, "child_name")?,
        category: category_of(row, "category")?,
        category_since: parse_date(&get::<String>(row, "category_since")?)?,
        assessed_on: parse_date(&get::<String>(row, "assessed_on")?)?,
        grid: grid
            .map(|g| RegionCode::parse(&g).map_err(|_| corrupt("region", &g)))
            .transpose()?,
        decision: decision_of(row)?,
        pack: get(row, "pack")?,
        username: get(row, "username")?,
        user_display_name: get(row, "display_name")?,
        decided_at: get(row, "decided_at")?,
        lapsed_on: lapsed.as_deref().map(parse_date).transpose()?,
    })
}

impl Store {
    /// The findings still to verify of the minors living in the actor's places on `as_of`.
    /// Ordered most urgent first: the more severe risk level, then the category
    /// ([`verification::urgency`]), then the longest waiting, then by name.
    pub async fn pending_verifications(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
        limit: i64,
    ) -> Result<Vec<PendingVerification>> {
        let columns = PERSON_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = Sql::new(&format!(
            "SELECT {columns}, c.category, c.reasons_json, c.since, c.assessed_on"
        ));
        pending_from(&mut sql, actor, as_of);
        sql.push(" ORDER BY c.since, p.name, p.id, c.category LIMIT ")
            .bind(Arg::Int(limit.max(1)));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut out = rows
            .iter()
            .map(|row| {
                let reasons: String = get(row, "reasons_json")?;
                Ok(PendingVerification {
                    person: person_from_row(row)?,
                    category: category_of(row, "category")?,
                    reasons: serde_json::from_str(&reasons)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    since: parse_date(&get::<String>(row, "since")?)?,
                    assessed_on: parse_date(&get::<String>(row, "assessed_on")?)?,
                    risk: None,
                    open_alert: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        let mut ids: Vec<i64> = out.iter().map(|p| p.person.id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        // Ids are integers we just read, so inlining them is safe.
        let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let mut risks: HashMap<i64, RiskLevelSummary> = HashMap::new();
        // Latest date first, most severe level first: the first row per child is the one shown.
        for row in sqlx::query(&format!(
            "SELECT person_id, model, assessed_on, level, level_label, colour FROM \
             risk_assessments WHERE person_id IN ({ids}) ORDER BY person_id, assessed_on DESC, \
             level"
        ))
        .fetch_all(&self.pool)
        .await?
        {
            let id: i64 = get(&row, "person_id")?;
            if risks.contains_key(&id) {
                continue;
            }
            risks.insert(
                id,
                RiskLevelSummary {
                    model: get(&row, "model")?,
                    level: get(&row, "level")?,
                    label: get(&row, "level_label")?,
                    colour: get(&row, "colour")?,
                    assessed_on: parse_date(&get::<String>(&row, "assessed_on")?)?,
                    overridden: false,
                },
            );
        }
        let mut alerts = Sql::new(&format!(
            "SELECT a.person_id, MIN(a.id) AS id FROM alerts a JOIN persons p ON p.id = \
             a.person_id WHERE a.status = 'open' AND a.person_id IN ({ids}) AND "
        ));
        push_scope(&mut alerts, actor, "a.grid_code", "p.hukou_region");
        alerts.push(" GROUP BY a.person_id");
        let mut open: HashMap<i64, i64> = HashMap::new();
        for row in alerts.query().fetch_all(&self.pool).await? {
            open.insert(get(&row, "person_id")?, get(&row, "id")?);
        }
        for p in &mut out {
            p.risk = risks.get(&p.person.id.0).cloned();
            p.open_alert = open.get(&p.person.id.0).copied();
        }
        out.sort_by_key(|p| {
            (
                p.risk.as_ref().map_or(i64::MAX, |r| r.level),
                verification::urgency(p.category).unwrap_or(usize::MAX),
                p.since,
            )
        });
        Ok(out)
    }

    /// How many findings the actor still has to verify (the badge on 待核实).
    pub async fn count_pending_verifications(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
    ) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n");
        pending_from(&mut sql, actor, as_of);
        get(&sql.query().fetch_one(&self.pool).await?, "n")
    }

    /// The decision `actor` sent with this `client_id`, if any; another user's is a conflict.
    async fn verification_by_client_id(
        &self,
        actor: &Actor,
        client_id: &str,
    ) -> Result<Option<i64>> {
        let Some(row) = sqlx::query("SELECT id, user_id FROM verifications WHERE client_id = $1")
            .bind(client_id.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        if get::<i64>(&row, "user_id")? != actor.user_id {
            return Err(StoreError::Conflict("核实编号已被使用".into()));
        }
        Ok(Some(get(&row, "id")?))
    }

    /// Stores `actor`'s decision on a finding about a child in their places, audited as
    /// `verification.decide` in the same transaction. Whether the actor's role may decide is
    /// the caller's to check (the web layer admits the child's directors only).
    ///
    /// - the child outside the actor's places (or absent): `NotFound`;
    /// - the same user's `client_id` again (a phone's retried sync): the first decision's id,
    ///   marked duplicate, nothing stored;
    /// - the category no longer found, found anew since the page was read, or decided already:
    ///   `Conflict` with the reason in words, nothing stored.
    pub async fn decide_verification(
        &self,
        actor: &Actor,
        new: &NewVerification,
    ) -> Result<DecidedVerification> {
        if !verification::is_suspected(new.category) {
            return Err(StoreError::Conflict(format!(
                "“{}”不在疑似名单核实范围内",
                new.category.label_zh()
            )));
        }
        if let Some(client_id) = &new.client_id {
            if let Some(id) = self.verification_by_client_id(actor, client_id).await? {
                return Ok(DecidedVerification {
                    id,
                    duplicate: true,
                });
            }
        }
        let child = self.person_in_scope(actor, new.person).await?;
        let mut tx = self.begin_write().await?;
        let finding = sqlx::query(
            "SELECT since, assessed_on FROM child_categories WHERE person_id = $1 AND \
             category = $2",
        )
        .bind(new.person.0)
        .bind(new.category.code())
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(finding) = finding else {
            return Err(StoreError::Conflict(format!(
                "系统目前已不再认定该儿童为“{}”，无需核实；本次结论未保存。",
                new.category.label_zh()
            )));
        };
        let since: String = get(&finding, "since")?;
        if since != date_text(new.since) {
            return Err(StoreError::Conflict(format!(
                "该儿童的“{}”已于{since}重新认定，与您核实时看到的不同；本次结论未保存，\
                 请刷新待核实名单后重新核实。",
                new.category.label_zh()
            )));
        }
        let assessed_on: String = get(&finding, "assessed_on")?;
        let current = sqlx::query(
            "SELECT v.username, v.decided_at FROM verifications v WHERE v.person_id = $1 AND \
             v.category = $2 AND v.category_since = $3 AND v.lapsed_on IS NULL",
        )
        .bind(new.person.0)
        .bind(new.category.code())
        .bind(since.clone())
        .fetch_optional(&mut *tx.tx)
        .await?;
        if let Some(row) = current {
            return Err(StoreError::Conflict(format!(
                "该儿童的“{}”已由{}于{}核实；本次结论未保存。",
                new.category.label_zh(),
                get::<String>(&row, "username")?,
                crate::parse_time(&get::<String>(&row, "decided_at")?)?
                    .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .format("%Y-%m-%d %H:%M")
            )));
        }
        let d = &new.decision;
        let inserted = sqlx::query(
            "INSERT INTO verifications (person_id, category, category_since, assessed_on, \
             grid_code, verdict, follow_up, reason_code, reason_text, pack, user_id, username, \
             client_id, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14) RETURNING id",
        )
        .bind(new.person.0)
        .bind(new.category.code())
        .bind(since)
        .bind(assessed_on)
        .bind(child.residence_grid.as_ref().map(|g| g.to_string()))
        .bind(d.verdict().code())
        .bind(d.follow_up().map(|f| f.code()))
        .bind(d.reject_reason().map(|r| r.code()))
        .bind(d.text().to_string())
        .bind(new.pack.clone())
        .bind(actor.user_id)
        .bind(actor.username.clone())
        .bind(new.client_id.clone())
        .bind(now_text(new.now))
        .fetch_one(&mut *tx.tx)
        .await;
        let row = match inserted {
            Ok(row) => row,
            // Two decisions at once: the first transaction won.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                drop(tx);
                if let Some(client_id) = &new.client_id {
                    if let Some(id) = self.verification_by_client_id(actor, client_id).await? {
                        return Ok(DecidedVerification {
                            id,
                            duplicate: true,
                        });
                    }
                }
                return Err(StoreError::Conflict(format!(
                    "该儿童的“{}”已由他人核实；本次结论未保存。",
                    new.category.label_zh()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let id: i64 = get(&row, "id")?;
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: Some(actor.user_id),
                username: actor.username.clone(),
                action: "verification.decide".into(),
                target_kind: "person".into(),
                target_id: new.person.0.to_string(),
                detail: format!(
                    "verification {id}; {}; {}; {}",
                    new.category.code(),
                    d.verdict().code(),
                    d.follow_up()
                        .map(|f| f.code())
                        .or(d.reject_reason().map(|r| r.code()))
                        .unwrap_or("")
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(DecidedVerification {
            id,
            duplicate: false,
        })
    }

    /// Counts per grid and category in the actor's places: findings pending (minors living
    /// there on `as_of`) and decisions confirmed and rejected (by the grid the child lived in
    /// when decided). Grids without any are left out.
    pub async fn verification_counts(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
    ) -> Result<BTreeMap<(Option<RegionCode>, Category), VerificationCount>> {
        let mut out: BTreeMap<(Option<RegionCode>, Category), VerificationCount> = BTreeMap::new();
        let grid_of = |row: &AnyRow, column: &str| -> Result<Option<RegionCode>> {
            let g: Option<String> = get(row, column)?;
            g.map(|g| RegionCode::parse(&g).map_err(|_| corrupt("region", &g)))
                .transpose()
        };
        let mut sql = Sql::new("SELECT p.residence_grid AS grid, c.category, COUNT(*) AS n");
        pending_from(&mut sql, actor, as_of);
        sql.push(" GROUP BY p.residence_grid, c.category");
        for row in sql.query().fetch_all(&self.pool).await? {
            let key = (grid_of(&row, "grid")?, category_of(&row, "category")?);
            out.entry(key).or_default().pending += get::<i64>(&row, "n")?;
        }
        let mut sql = Sql::new(
            "SELECT v.grid_code AS grid, v.category, v.verdict, COUNT(*) AS n FROM \
             verifications v JOIN persons p ON p.id = v.person_id WHERE ",
        );
        push_scope(&mut sql, actor, "v.grid_code", "p.hukou_region");
        sql.push(" GROUP BY v.grid_code, v.category, v.verdict");
        for row in sql.query().fetch_all(&self.pool).await? {
            let key = (grid_of(&row, "grid")?, category_of(&row, "category")?);
            let n: i64 = get(&row, "n")?;
            let verdict: String = get(&row, "verdict")?;
            let entry = out.entry(key).or_default();
            match Verdict::parse(&verdict).ok_or_else(|| corrupt("verdict", &verdict))? {
                Verdict::Confirmed => entry.confirmed += n,
                Verdict::Rejected => entry.rejected += n,
            }
        }
        Ok(out)
    }

    /// Decisions in the actor's places (by the grid the child lived in when decided), newest
    /// first.
    pub async fn recent_verifications(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<VerificationRow>> {
        let mut sql = Sql::new(ROW_SELECT);
        push_scope(&mut sql, actor, "v.grid_code", "p.hukou_region");
        sql.push(" ORDER BY v.id DESC LIMIT ")
            .bind(Arg::Int(limit.max(1)));
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(verification_row)
            .collect()
    }

    /// The decisions about one child (for pages that already checked the child is in scope),
    /// newest first.
    pub async fn verifications_of(&self, person: PersonId) -> Result<Vec<VerificationRow>> {
        let mut sql = Sql::new(ROW_SELECT);
        sql.push("v.person_id = ")
            .bind(Arg::Int(person.0))
            .push(" ORDER BY v.id DESC");
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(verification_row)
            .collect()
    }

    /// The rules' precision per suspected category over the county's decisions, with the
    /// top rejection reasons and the figures per rule pack. Categories without decisions are
    /// included (with zeros), in [`verification::SUSPECTED`] order.
    pub async fn verification_quality(&self) -> Result<Vec<CategoryQuality>> {
        let rows = sqlx::query(
            "SELECT category, pack, verdict, reason_code, \
             CASE WHEN lapsed_on IS NULL THEN 1 ELSE 0 END AS still_found, \
             COUNT(*) AS n, MIN(id) AS first_id FROM verifications \
             GROUP BY category, pack, verdict, reason_code, \
             CASE WHEN lapsed_on IS NULL THEN 1 ELSE 0 END ORDER BY MIN(id)",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<CategoryQuality> = verification::SUSPECTED
            .iter()
            .map(|c| CategoryQuality {
                category: *c,
                confirmed: 0,
                rejected: 0,
                rejected_still_found: 0,
                reasons: Vec::new(),
                by_pack: Vec::new(),
            })
            .collect();
        for row in &rows {
            let category = category_of(row, "category")?;
            let Some(q) = out.iter_mut().find(|q| q.category == category) else {
                continue;
            };
            let n: i64 = get(row, "n")?;
            let pack: String = get(row, "pack")?;
            let verdict: String = get(row, "verdict")?;
            let verdict = Verdict::parse(&verdict).ok_or_else(|| corrupt("verdict", &verdict))?;
            let position = match q.by_pack.iter().position(|(p, _, _)| *p == pack) {
                Some(i) => i,
                None => {
                    q.by_pack.push((pack, 0, 0));
                    q.by_pack.len() - 1
                }
            };
            match verdict {
                Verdict::Confirmed => {
                    q.confirmed += n;
                    q.by_pack[position].1 += n;
                }
                Verdict::Rejected => {
                    q.rejected += n;
                    q.by_pack[position].2 += n;
                    if get::<i64>(row, "still_found")? == 1 {
                        q.rejected_still_found += n;
                    }
                    let r: Option<String> = get(row, "reason_code")?;
                    let r = r.unwrap_or_default();
                    let reason = RejectReason::parse(&r).ok_or_else(|| corrupt("reason", &r))?;
                    match q.reasons.iter_mut().find(|(x, _)| *x == reason) {
                        Some((_, count)) => *count += n,
                        None => q.reasons.push((reason, n)),
                    }
                }
            }
        }
        for q in &mut out {
            q.reasons.sort_by(|(a, n), (b, m)| m.cmp(n).then(a.cmp(b)));
        }
        Ok(out)
    }
}

/// Marks the current decisions about findings the assessment no longer makes as lapsed, in the
/// assessment's transaction.
pub(crate) async fn lapse(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    person: PersonId,
    category: Category,
    as_of: NaiveDate,
) -> Result<()> {
    sqlx::query(
        "UPDATE verifications SET lapsed_on = $1 WHERE person_id = $2 AND category = $3 AND \
         lapsed_on IS NULL",
    )
    .bind(date_text(as_of))
    .bind(person.0)
    .bind(category.code())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
