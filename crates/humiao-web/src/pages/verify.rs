//! The suspected-case verification loop (疑似名单核实, docs/verification.md).
//!
//! - `GET /m/verify` (待核实, child directors): the children of their grids whom the rules
//!   suspect to be 事实无人抚养, 困境 or 应保未保 and whom no one has verified since the rules
//!   found it, most urgent first, with why — in words their role may read — and a form per
//!   finding: 情况属实 (启动救助申请 / 纳入个案管理) or 排除 with a reason and words. Kept on the
//!   phone for offline reading like 走访计划.
//! - `POST /m/verify/{person}`: the form; `POST /m/sync/verifications`: the same decision
//!   queued on the phone offline (JSON answer, stored once per `client_id`).
//! - `GET /centre/verifications` (核实反馈, station: its town; centre: the county): per grid
//!   and category the findings pending, confirmed and rejected, and the recent decisions with
//!   reasons; `/centre/verifications.xlsx` exports both.
//! - The rules' precision per category ([`quality_views`]) on 规则包 and in the fairness and
//!   quality report.
//!
//! Only the directors of the child's grid decide: they are the ones who verify on the ground.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use humiao_core::access::{SensitiveField, Visibility};
use humiao_core::policy::Category;
use humiao_core::verification::{self, FollowUp, RejectReason};
use humiao_core::PersonId;
use humiao_store::{AuditEntry, NewVerification, PendingVerification, StoreError};
use rust_xlsxwriter::Workbook;
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::extract::{AppForm, AppQuery, IdPath};
use crate::pages::views::{badges, Badge};
use crate::render::{local_time, page, page_with_status, Base};
use crate::session::{CurrentUser, Session};
use crate::AppState;

/// How many findings a director's list holds at most.
const LIST_LIMIT: i64 = 300;
/// How many decisions 核实反馈 lists (newest first; the counts cover all).
const RECENT_LIMIT: i64 = 200;

/// A choice on the form: (code, label).
pub(crate) struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

fn follow_ups() -> Vec<Choice> {
    FollowUp::ALL
        .iter()
        .map(|f| Choice {
            code: f.code(),
            label: f.label_zh(),
        })
        .collect()
}

fn reject_reasons() -> Vec<Choice> {
    RejectReason::ALL
        .iter()
        .map(|r| Choice {
            code: r.code(),
            label: r.label_zh(),
        })
        .collect()
}

/// One finding to verify, as the director's form shows it.
pub(crate) struct ItemView {
    /// `verify-<person>-<category>`: the form's and the error's anchor.
    pub key: String,
    pub category: &'static str,
    pub label: &'static str,
    pub since: String,
    pub assessed_on: String,
    /// What to check on the ground: the same words for every child of the category.
    pub what_to_check: &'static str,
    /// The decision's reasons, for roles that may see them (not directors).
    pub reasons: Vec<String>,
    /// How many pieces of departments' data the rules used.
    pub sources: usize,
    /// The form as the director left it, and why it was refused.
    pub error: Option<String>,
    pub values: FormValues,
}

/// One child with their findings.
pub(crate) struct ChildView {
    pub id: i64,
    pub name: String,
    pub sex: &'static str,
    pub age: i32,
    pub place: String,
    pub risk: Option<(String, String)>,
    pub badges: Vec<Badge>,
    pub open_alert: Option<i64>,
    pub items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "director_verify.html")]
struct DirectorVerifyTemplate {
    base: Base,
    children: Vec<ChildView>,
    findings: usize,
    follow_ups: Vec<Choice>,
    reasons: Vec<Choice>,
    min_text: usize,
    max_text: usize,
}

/// The fields of a decision as posted (urlencoded), also what is shown again on a refusal.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct FormValues {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub verdict: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub text: String,
    /// The phone's identifier of the decision (offline queue; the form carries one too).
    #[serde(default)]
    pub client_id: String,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    done: Option<String>,
}

fn key(person: i64, category: Category) -> String {
    format!("verify-{person}-{}", category.code())
}

/// The list, with `refused` (the finding's key, the form's values and why) shown on its form.
async fn render_list(
    state: &AppState,
    session: &Session,
    notice: Option<String>,
    refused: Option<(String, FormValues, String)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    let rows = store
        .pending_verifications(&session.actor, today, LIST_LIMIT)
        .await?;
    let places = state.places().await?;
    let reasons = session.actor.visibility(SensitiveField::Reason);
    let mut children: Vec<ChildView> = Vec::new();
    for row in &rows {
        let item = item_view(row, reasons, refused.as_ref());
        match children.iter_mut().find(|c| c.id == row.person.id.0) {
            Some(child) => child.items.push(item),
            None => children.push(ChildView {
                id: row.person.id.0,
                name: row.person.name.to_string(),
                sex: row.person.sex.label_zh(),
                age: row.person.age_on(today),
                place: places.opt_name(row.person.residence_grid.as_ref()),
                risk: row
                    .risk
                    .as_ref()
                    .map(|r| (r.label.clone(), r.colour.clone())),
                badges: Vec::new(),
                open_alert: row.open_alert,
                items: vec![item],
            }),
        }
    }
    for child in &mut children {
        let categories: Vec<Category> = rows
            .iter()
            .filter(|r| r.person.id.0 == child.id)
            .map(|r| r.category)
            .collect();
        child.badges = badges(&categories, reasons);
    }
    if !rows.is_empty() {
        // Who read which children's findings is on record before they are shown.
        store
            .audit(&AuditEntry {
                user_id: Some(session.user.id),
                username: session.user.username.clone(),
                action: "verification.list".into(),
                target_kind: "persons".into(),
                target_id: children
                    .iter()
                    .map(|c| c.id.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                detail: format!("{} findings", rows.len()),
            })
            .await?;
    }
    let template = DirectorVerifyTemplate {
        base: Base::new(session, "待核实", "/m/verify").with_notice(notice),
        findings: rows.len(),
        children,
        follow_ups: follow_ups(),
        reasons: reject_reasons(),
        min_text: verification::MIN_TEXT,
        max_text: verification::MAX_TEXT,
    };
    if status == StatusCode::OK {
        page(&template)
    } else {
        page_with_status(status, &template)
    }
}

fn item_view(
    row: &PendingVerification,
    reasons: Visibility,
    refused: Option<&(String, FormValues, String)>,
) -> ItemView {
    let key = key(row.person.id.0, row.category);
    let (error, values) = match refused {
        Some((k, values, error)) if *k == key => (Some(error.clone()), values.clone()),
        _ => (None, FormValues::default()),
    };
    ItemView {
        category: row.category.code(),
        label: row.category.label_zh(),
        since: row.since.format("%Y-%m-%d").to_string(),
        assessed_on: row.assessed_on.format("%Y-%m-%d").to_string(),
        what_to_check: verification::what_to_check(row.category),
        reasons: if reasons == Visibility::Full {
            row.reasons.iter().map(|r| r.text.clone()).collect()
        } else {
            Vec::new()
        },
        sources: {
            let mut all: Vec<_> = row.reasons.iter().flat_map(|r| &r.sources).collect();
            all.sort();
            all.dedup();
            all.len()
        },
        key,
        error,
        values,
    }
}

/// `GET /m/verify`.
pub(crate) async fn list(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<Response, AppError> {
    let notice = match query.done.as_deref() {
        Some("confirmed") => Some("核实结论已提交：情况属实。".to_string()),
        Some("rejected") => Some("核实结论已提交：已排除，原因将反馈至县未保中心。".to_string()),
        _ => None,
    };
    render_list(&state, &session, notice, None, StatusCode::OK).await
}

/// What came of a posted decision.
enum Outcome {
    Stored {
        verdict: verification::Verdict,
    },
    Duplicate,
    /// Invalid: the director fixes the form (nothing stored).
    Invalid(String),
    /// Stale or decided by someone else (nothing stored).
    Conflict(String),
}

async fn decide(
    state: &AppState,
    session: &Session,
    person: i64,
    form: &FormValues,
) -> Result<Outcome, AppError> {
    let store = state.store();
    // The child first: out of scope is "not found", whatever the form says.
    store
        .person_in_scope(&session.actor, PersonId(person))
        .await?;
    let Some(category) = Category::parse(form.category.trim()) else {
        return Ok(Outcome::Invalid(
            "核实的类别无效，请刷新页面后重试。".into(),
        ));
    };
    let Ok(since) = chrono::NaiveDate::parse_from_str(form.since.trim(), "%Y-%m-%d") else {
        return Ok(Outcome::Invalid("缺少认定日期，请刷新页面后重试。".into()));
    };
    let decision =
        match verification::validate(&form.verdict, &form.follow_up, &form.reason, &form.text) {
            Ok(d) => d,
            Err(e) => return Ok(Outcome::Invalid(e.to_string())),
        };
    let client_id = form.client_id.trim();
    if client_id.len() > 64
        || !client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Ok(Outcome::Invalid("核实编号（client_id）无效。".into()));
    }
    let pack = humiao_pipeline::active_pack(store).await?;
    let verdict = decision.verdict();
    match store
        .decide_verification(
            &session.actor,
            &NewVerification {
                person: PersonId(person),
                category,
                since,
                decision,
                pack: format!("{} {}", pack.name, pack.version),
                client_id: (!client_id.is_empty()).then(|| client_id.to_string()),
                now: chrono::Utc::now(),
            },
        )
        .await
    {
        Ok(d) if d.duplicate => Ok(Outcome::Duplicate),
        Ok(_) => Ok(Outcome::Stored { verdict }),
        Err(StoreError::Conflict(message)) => Ok(Outcome::Conflict(message)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /m/verify/{person}`: the form without a script.
pub(crate) async fn submit(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(person): IdPath,
    AppForm(form): AppForm<FormValues>,
) -> Result<Response, AppError> {
    match decide(&state, &session, person, &form).await? {
        Outcome::Stored { verdict } => {
            Ok(Redirect::to(&format!("/m/verify?done={}", verdict.code())).into_response())
        }
        Outcome::Duplicate => Ok(Redirect::to("/m/verify").into_response()),
        Outcome::Invalid(message) => {
            let key = Category::parse(form.category.trim())
                .map(|c| key(person, c))
                .unwrap_or_default();
            render_list(
                &state,
                &session,
                None,
                Some((key, form, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Outcome::Conflict(message) => {
            render_list(&state, &session, Some(message), None, StatusCode::CONFLICT).await
        }
    }
}

fn answer(status: StatusCode, word: &str, message: &str) -> Response {
    (status, Json(json!({ "status": word, "message": message }))).into_response()
}

#[derive(Deserialize)]
pub(crate) struct SyncForm {
    #[serde(default)]
    person_id: String,
    #[serde(flatten)]
    values: FormValues,
}

/// `POST /m/sync/verifications`: a decision queued on the phone, with `person_id` and
/// `client_id`. JSON `{status, message}`: `created` (201), `duplicate` (200: stored before),
/// or `refused` — not stored: invalid (422), decided meanwhile or the finding changed (409),
/// the child not (or no longer) in the director's grids (404). A 5xx leaves it queued.
pub(crate) async fn sync(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppForm(form): AppForm<SyncForm>,
) -> Result<Response, AppError> {
    if form.values.client_id.trim().is_empty() {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "refused",
            "缺少核实编号（client_id），无法保证不重复保存。",
        ));
    }
    let Some(person) = form.person_id.trim().parse::<i64>().ok().filter(|p| *p > 0) else {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "refused",
            "缺少儿童编号（person_id）。",
        ));
    };
    Ok(match decide(&state, &session, person, &form.values).await {
        Ok(Outcome::Stored { .. }) => answer(StatusCode::CREATED, "created", "核实结论已同步。"),
        Ok(Outcome::Duplicate) => answer(
            StatusCode::OK,
            "duplicate",
            "该核实结论此前已同步，未重复保存。",
        ),
        Ok(Outcome::Invalid(message)) => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            &format!("核实结论有误，未能保存：{message}"),
        ),
        Ok(Outcome::Conflict(message)) => answer(StatusCode::CONFLICT, "refused", &message),
        Err(AppError::NotFound) => answer(
            StatusCode::NOT_FOUND,
            "refused",
            "该儿童已不在您负责的网格内：本次核实结论未能保存。请联系乡镇儿童督导员；\
             核实后可删除本机上的这条记录。",
        ),
        Err(other) => return Err(other),
    })
}

// ---- 核实反馈: back to the station and the centre ----

pub(crate) struct CountRowView {
    pub place: String,
    pub category: &'static str,
    pub pending: i64,
    pub confirmed: i64,
    pub rejected: i64,
}

pub(crate) struct CategoryTotalView {
    pub code: &'static str,
    pub label: &'static str,
    pub pending: i64,
    pub confirmed: i64,
    pub rejected: i64,
    pub precision: String,
}

pub(crate) struct DecisionView {
    pub id: i64,
    pub person_id: i64,
    pub child_name: String,
    pub place: String,
    pub category: &'static str,
    pub verdict: &'static str,
    pub confirmed: bool,
    pub follow_up_or_reason: &'static str,
    pub text: String,
    pub director: String,
    pub when: String,
    pub found_since: String,
    /// The rules no longer find the category (「规则已不再认定（日期）」).
    pub lapsed: String,
}

#[derive(Template)]
#[template(path = "centre_verifications.html")]
struct CentreTemplate {
    base: Base,
    totals: Vec<CategoryTotalView>,
    rows: Vec<CountRowView>,
    recent: Vec<DecisionView>,
}

fn percent(p: Option<f64>) -> String {
    p.map_or("—".into(), |p| format!("{:.0}%", 100.0 * p))
}

struct Feedback {
    totals: Vec<CategoryTotalView>,
    rows: Vec<CountRowView>,
    recent: Vec<DecisionView>,
}

async fn feedback(state: &AppState, session: &Session, action: &str) -> Result<Feedback, AppError> {
    let store = state.store();
    let counts = store
        .verification_counts(&session.actor, state.today())
        .await?;
    let recent = store
        .recent_verifications(&session.actor, RECENT_LIMIT)
        .await?;
    let places = state.places().await?;
    let mut by_category: BTreeMap<usize, (i64, i64, i64)> = BTreeMap::new();
    for ((_, category), n) in &counts {
        let t = by_category
            .entry(verification::urgency(*category).unwrap_or(usize::MAX))
            .or_default();
        t.0 += n.pending;
        t.1 += n.confirmed;
        t.2 += n.rejected;
    }
    let totals = verification::SUSPECTED
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (pending, confirmed, rejected) = by_category.get(&i).copied().unwrap_or_default();
            CategoryTotalView {
                code: c.code(),
                label: c.label_zh(),
                pending,
                confirmed,
                rejected,
                precision: percent(verification::precision(confirmed as u64, rejected as u64)),
            }
        })
        .collect();
    let mut rows: Vec<CountRowView> = counts
        .iter()
        .map(|((grid, category), n)| CountRowView {
            place: places.opt_name(grid.as_ref()),
            category: category.label_zh(),
            pending: n.pending,
            confirmed: n.confirmed,
            rejected: n.rejected,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.pending
            .cmp(&a.pending)
            .then(a.place.cmp(&b.place))
            .then(a.category.cmp(b.category))
    });
    if !recent.is_empty() {
        // Who read which children's decisions is on record before they are shown.
        store
            .audit(&AuditEntry {
                user_id: Some(session.user.id),
                username: session.user.username.clone(),
                action: action.into(),
                target_kind: "persons".into(),
                target_id: recent
                    .iter()
                    .map(|v| v.person_id.0.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                detail: format!("role {}; {} decisions", session.role().code(), recent.len()),
            })
            .await?;
    }
    let recent = recent
        .iter()
        .map(|v| DecisionView {
            id: v.id,
            person_id: v.person_id.0,
            child_name: v.child_name.clone(),
            place: places.opt_name(v.grid.as_ref()),
            category: v.category.label_zh(),
            verdict: v.decision.verdict().label_zh(),
            confirmed: v.decision.verdict() == verification::Verdict::Confirmed,
            follow_up_or_reason: v
                .decision
                .follow_up()
                .map(|f| f.label_zh())
                .or(v.decision.reject_reason().map(|r| r.label_zh()))
                .unwrap_or(""),
            text: v.decision.text().to_string(),
            director: v.user_display_name.clone(),
            when: local_time(&v.decided_at),
            found_since: v.category_since.format("%Y-%m-%d").to_string(),
            lapsed: v
                .lapsed_on
                .map(|d| format!("规则已不再认定（{}）", d.format("%Y-%m-%d")))
                .unwrap_or_default(),
        })
        .collect();
    Ok(Feedback {
        totals,
        rows,
        recent,
    })
}

/// `GET /centre/verifications`.
pub(crate) async fn centre(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let f = feedback(&state, &session, "verification.view").await?;
    page(&CentreTemplate {
        base: Base::new(&session, "核实反馈", "/centre/verifications"),
        totals: f.totals,
        rows: f.rows,
        recent: f.recent,
    })
}

fn workbook(f: &Feedback) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("分网格统计")?;
    for (col, h) in ["网格", "类别", "待核实", "情况属实", "排除"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *h)?;
    }
    for (i, r) in f.rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &r.place)?;
        sheet.write_string(row, 1, r.category)?;
        sheet.write_number(row, 2, r.pending as f64)?;
        sheet.write_number(row, 3, r.confirmed as f64)?;
        sheet.write_number(row, 4, r.rejected as f64)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("核实记录")?;
    for (col, h) in [
        "编号",
        "核实时间",
        "网格",
        "儿童",
        "人员编号",
        "类别",
        "认定日期",
        "结论",
        "后续处置/排除原因",
        "说明",
        "儿童主任",
        "规则现状",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *h)?;
    }
    for (i, v) in f.recent.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, v.id as f64)?;
        sheet.write_string(row, 1, &v.when)?;
        sheet.write_string(row, 2, &v.place)?;
        sheet.write_string(row, 3, &v.child_name)?;
        sheet.write_number(row, 4, v.person_id as f64)?;
        sheet.write_string(row, 5, v.category)?;
        sheet.write_string(row, 6, &v.found_since)?;
        sheet.write_string(row, 7, v.verdict)?;
        sheet.write_string(row, 8, v.follow_up_or_reason)?;
        sheet.write_string(row, 9, &v.text)?;
        sheet.write_string(row, 10, &v.director)?;
        sheet.write_string(row, 11, &v.lapsed)?;
    }
    book.save_to_buffer()
}

/// `GET /centre/verifications.xlsx`: the counts per grid and the recent decisions.
pub(crate) async fn export(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let f = feedback(&state, &session, "verification.export").await?;
    let bytes = workbook(&f)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("writing the workbook")))?;
    let name = format!("verifications-{}.xlsx", state.today().format("%Y%m%d"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- The rules' quality: precision per category ----

pub(crate) struct QualityView {
    pub code: &'static str,
    pub label: &'static str,
    pub confirmed: i64,
    pub rejected: i64,
    pub precision: String,
    /// Rejected findings the rules still make.
    pub still_found: i64,
    /// 「已享受保障 3、信息有误 1」.
    pub top_reasons: String,
    /// 「national 2026.1：80%（4/5）」 per pack.
    pub by_pack: Vec<String>,
}

/// The rules' precision per suspected category from the directors' decisions, county-wide.
pub(crate) async fn quality_views(state: &AppState) -> Result<Vec<QualityView>, AppError> {
    Ok(state
        .store()
        .verification_quality()
        .await?
        .iter()
        .map(|q| QualityView {
            code: q.category.code(),
            label: q.category.label_zh(),
            confirmed: q.confirmed,
            rejected: q.rejected,
            precision: percent(q.precision()),
            still_found: q.rejected_still_found,
            top_reasons: q
                .reasons
                .iter()
                .take(3)
                .map(|(r, n)| format!("{} {n}", r.label_zh()))
                .collect::<Vec<_>>()
                .join("、"),
            by_pack: q
                .by_pack
                .iter()
                .map(|(pack, c, r)| {
                    format!(
                        "{pack}：{}（{c}/{}）",
                        percent(verification::precision(*c as u64, *r as u64)),
                        c + r
                    )
                })
                .collect(),
        })
        .collect())
}
