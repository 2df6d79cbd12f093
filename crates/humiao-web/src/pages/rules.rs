//! The centre's rule packs (规则包): the pack in force with its parameters and rules; uploading
//! changed pack files, which are validated (every problem with file, line and column) and
//! compared with the pack in force over the whole county (dry run); then activating them.
//!
//! Only the county centre reaches these pages. An upload is kept as the user's pending pack until
//! activated or replaced; activation is audited and takes effect at the next assessment.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use humiao_core::policy::Category;
use humiao_pipeline::{PackFile, PipelineError, StoredPack};
use humiao_rules::RulePack;
use humiao_store::AuditEntry;

use crate::error::AppError;
use crate::extract::AppQuery;
use crate::render::{page, Base};
use crate::session::{CurrentUser, Session};
use crate::AppState;

/// The largest pack file accepted, in bytes.
const MAX_PACK_BYTES: usize = 256 * 1024;
/// Changed children listed on the preview.
const CHANGES_SHOWN: usize = 200;

fn pending_key(session: &Session) -> String {
    format!("rules.pending.{}", session.user.id)
}

fn audit(session: &Session, action: &str, id: &str, detail: String) -> AuditEntry {
    AuditEntry {
        user_id: Some(session.user.id),
        username: session.user.username.clone(),
        action: action.into(),
        target_kind: "rule_pack".into(),
        target_id: id.into(),
        detail,
    }
}

pub(crate) struct ParameterView {
    pub name: String,
    pub label: String,
    pub current: String,
    pub history: Vec<String>,
}

pub(crate) struct RuleView {
    pub code: String,
    pub label: String,
    pub policy: String,
    pub rule: String,
}

pub(crate) struct PackView {
    pub name: String,
    pub version: String,
    pub title: String,
    pub layers: String,
    pub parameters: Vec<ParameterView>,
    pub categories: Vec<RuleView>,
    pub functions: Vec<RuleView>,
    pub entitlements: Vec<RuleView>,
}

fn pack_view(pack: &RulePack, today: chrono::NaiveDate) -> PackView {
    let unit = |u: &Option<String>| u.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
    PackView {
        name: pack.name.clone(),
        version: pack.version.clone(),
        title: pack.title.clone().unwrap_or_default(),
        layers: pack.layers.join(" + "),
        parameters: pack
            .parameters
            .iter()
            .map(|p| ParameterView {
                name: p.name.clone(),
                label: p.label.clone(),
                current: format!("{}{}", p.value_on(today).display(), unit(&p.unit)),
                history: p
                    .values
                    .iter()
                    .map(|(from, v)| format!("{from} 起：{}{}", v.display(), unit(&p.unit)))
                    .collect(),
            })
            .collect(),
        categories: pack
            .categories
            .iter()
            .map(|c| RuleView {
                code: c.category.code().into(),
                label: c.category.label_zh().into(),
                policy: c.policy.clone(),
                rule: c.rule.source.trim().to_string(),
            })
            .collect(),
        functions: pack
            .functions
            .iter()
            .map(|f| RuleView {
                code: format!("{}({})", f.name, f.params.join(", ")),
                label: f.label.clone().unwrap_or_default(),
                policy: String::new(),
                rule: f.rule.source.trim().to_string(),
            })
            .collect(),
        entitlements: pack
            .entitlements
            .iter()
            .map(|e| RuleView {
                code: e.code.clone(),
                label: e.label.clone(),
                policy: e.policy.clone(),
                rule: e.rule.source.trim().to_string(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesTemplate {
    base: Base,
    pack: PackView,
    activated: String,
    /// The rules' precision per category from the directors' verifications.
    quality: Vec<super::verify::QualityView>,
}

#[derive(serde::Deserialize)]
pub(crate) struct RulesQuery {
    #[serde(default)]
    activated: Option<String>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<RulesQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let pack = humiao_pipeline::active_pack(store).await?;
    let activated = match store.setting(humiao_pipeline::ACTIVE_PACK_KEY).await? {
        Some(row) => format!("{} 由 {} 启用", row.updated_at, row.updated_by),
        None => "未启用本地规则包：使用随软件发布的全国基线规则包".into(),
    };
    let notice = query
        .activated
        .map(|v| format!("已启用规则包 {v}；下次评估起生效。"));
    page(&RulesTemplate {
        base: Base::new(&session, "规则包", "/centre/rules").with_notice(notice),
        pack: pack_view(&pack, state.today()),
        activated,
        quality: super::verify::quality_views(&state).await?,
    })
}

pub(crate) struct CountView {
    pub label: &'static str,
    pub before: usize,
    pub after: usize,
    pub changed: bool,
}

pub(crate) struct ChangeView {
    pub id: i64,
    pub name: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "rules_preview.html")]
struct PreviewTemplate {
    base: Base,
    files: Vec<String>,
    errors: Vec<String>,
    pack: Option<PackView>,
    assessed: usize,
    counts: Vec<CountView>,
    changes: Vec<ChangeView>,
    more: usize,
}

/// Reads the uploaded pack files (field `pack`, repeatable), refusing what is not UTF-8 text or
/// too large.
async fn read_files(mut multipart: Multipart) -> Result<(Vec<PackFile>, Vec<String>), AppError> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::BadRequest("上传内容无法读取。".into()))?
    {
        if field.name() != Some("pack") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.to_string())
            .filter(|n| !n.is_empty());
        let bytes = field
            .bytes()
            .await
            .map_err(|_| AppError::BadRequest("上传内容无法读取。".into()))?;
        let Some(name) = name else { continue };
        if bytes.is_empty() {
            continue;
        }
        if bytes.len() > MAX_PACK_BYTES {
            errors.push(format!("{name}：文件超过 {} KB", MAX_PACK_BYTES / 1024));
            continue;
        }
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => files.push(PackFile { file: name, text }),
            Err(_) => errors.push(format!("{name}：不是 UTF-8 编码的文本文件")),
        }
    }
    if files.is_empty() && errors.is_empty() {
        errors.push("请选择至少一个规则包文件（.toml）。".into());
    }
    Ok((files, errors))
}

pub(crate) async fn preview(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let multipart = multipart
        .map_err(|_| AppError::BadRequest("规则包须以 multipart/form-data 上传。".into()))?;
    let (files, mut errors) = read_files(multipart).await?;
    let names_of: Vec<String> = files.iter().map(|f| f.file.clone()).collect();
    let base = Base::new(&session, "规则包试运行", "/centre/rules");
    let empty = |base, files, errors| PreviewTemplate {
        base,
        files,
        errors,
        pack: None,
        assessed: 0,
        counts: Vec::new(),
        changes: Vec::new(),
        more: 0,
    };
    if !errors.is_empty() {
        return page(&empty(base, names_of, errors));
    }
    let stored = StoredPack::from_files(files);
    let new = match stored.compile() {
        Ok(p) => p,
        Err(problems) => {
            errors.extend(problems.0.iter().map(ToString::to_string));
            return page(&empty(base, names_of, errors));
        }
    };
    let store = state.store();
    let old = humiao_pipeline::active_pack(store).await?;
    let today = state.today();
    let diff = humiao_pipeline::diff_packs(store, &old, &new, today).await?;
    // The validated upload waits for activation as this user's pending pack.
    store
        .put_setting(
            &pending_key(&session),
            &serde_json::to_string(&stored).expect("pack files serialise"),
            &audit(
                &session,
                "rules.preview",
                &format!("{} {}", new.name, new.version),
                format!("{} children would change", diff.changes.len()),
            ),
        )
        .await?;
    page(&PreviewTemplate {
        base,
        files: names_of,
        errors,
        pack: Some(pack_view(&new, today)),
        assessed: diff.assessed,
        counts: diff
            .counts
            .iter()
            .map(|(c, before, after)| CountView {
                label: c.label_zh(),
                before: *before,
                after: *after,
                changed: before != after,
            })
            .collect(),
        changes: diff
            .changes
            .iter()
            .take(CHANGES_SHOWN)
            .map(|c| ChangeView {
                id: c.person.0,
                name: c.name.clone(),
                before: Category::labels_zh(&c.before),
                after: Category::labels_zh(&c.after),
            })
            .collect(),
        more: diff.changes.len().saturating_sub(CHANGES_SHOWN),
    })
}

pub(crate) async fn activate(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    let Some(row) = store.setting(&pending_key(&session)).await? else {
        return Err(AppError::BadRequest(
            "没有待启用的规则包：请先上传并试运行。".into(),
        ));
    };
    let stored: StoredPack = serde_json::from_str(&row.value)
        .map_err(|_| AppError::BadRequest("待启用的规则包已损坏，请重新上传。".into()))?;
    let pack = match humiao_pipeline::activate_pack(
        store,
        &stored,
        &audit(&session, "rules.activate", "", String::new()),
    )
    .await
    {
        Ok(pack) => pack,
        Err(PipelineError::Rules(e)) => return Err(AppError::BadRequest(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let version = format!("{} {}", pack.name, pack.version);
    Ok(Redirect::to(&format!(
        "/centre/rules?activated={}",
        crate::pages::views::encode_component(&version)
    ))
    .into_response())
}
