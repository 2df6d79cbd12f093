//! The centre's fairness and quality report (公平性与质量报告): risk levels and categories by
//! town, sex, age band, registration and disability, and indicators that fire for almost
//! everyone or no one; on a page and as an Excel workbook. Aggregates only.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use humiao_core::policy::Category;
use humiao_pipeline::FairnessReport;
use humiao_store::AuditEntry;
use rust_xlsxwriter::Workbook;

use crate::error::AppError;
use crate::render::{page, Base};
use crate::session::{CurrentUser, Session};
use crate::AppState;

pub(crate) struct RowView {
    pub dimension: &'static str,
    pub group: String,
    pub children: usize,
    /// Per level: "n（p%）".
    pub levels: Vec<String>,
    pub categories: Vec<String>,
}

pub(crate) struct IndicatorView {
    pub label: String,
    pub group: &'static str,
    pub source: &'static str,
    pub fired: usize,
    pub rate: String,
    pub flag: &'static str,
}

#[derive(Template)]
#[template(path = "fairness.html")]
struct FairnessTemplate {
    base: Base,
    as_of: String,
    children: usize,
    assessed: usize,
    level_labels: Vec<String>,
    category_labels: Vec<&'static str>,
    rows: Vec<RowView>,
    indicators: Vec<IndicatorView>,
    /// The rules' precision per category from the directors' verifications.
    quality: Vec<super::verify::QualityView>,
}

fn share(n: usize, of: usize) -> String {
    if of == 0 {
        "—".into()
    } else {
        format!("{n}（{:.1}%）", 100.0 * n as f64 / of as f64)
    }
}

async fn build(state: &AppState, session: &Session) -> Result<FairnessReport, AppError> {
    let store = state.store();
    let pack = humiao_pipeline::active_pack(store).await?;
    let report = humiao_pipeline::fairness_report(store, &pack, state.today()).await?;
    store
        .audit(&AuditEntry {
            user_id: Some(session.user.id),
            username: session.user.username.clone(),
            action: "report.fairness".into(),
            target_kind: "report".into(),
            target_id: "fairness".into(),
            detail: format!("{} children", report.children),
        })
        .await?;
    Ok(report)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let report = build(&state, &session).await?;
    let quality = super::verify::quality_views(&state).await?;
    page(&FairnessTemplate {
        quality,
        base: Base::new(&session, "公平性与质量报告", "/centre/fairness"),
        as_of: report.as_of.format("%Y-%m-%d").to_string(),
        children: report.children,
        assessed: report.assessed,
        level_labels: report.level_labels.clone(),
        category_labels: Category::ALL.iter().map(|c| c.label_zh()).collect(),
        rows: report
            .groups
            .iter()
            .map(|g| {
                let assessed: usize = g.levels.iter().sum();
                RowView {
                    dimension: g.dimension,
                    group: g.group.clone(),
                    children: g.children,
                    levels: g.levels.iter().map(|n| share(*n, assessed)).collect(),
                    categories: g.categories.iter().map(|n| share(*n, g.children)).collect(),
                }
            })
            .collect(),
        indicators: report
            .indicators
            .iter()
            .map(|i| IndicatorView {
                label: i.label.clone(),
                group: i.group,
                source: if i.from_visit { "走访" } else { "数据" },
                fired: i.fired,
                rate: format!("{:.1}%", 100.0 * i.rate),
                flag: i.flag.unwrap_or(""),
            })
            .collect(),
    })
}

fn workbook(
    report: &FairnessReport,
    quality: &[super::verify::QualityView],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("分组分布")?;
    let mut header: Vec<String> = vec!["维度".into(), "分组".into(), "儿童数".into()];
    header.extend(report.level_labels.iter().cloned());
    header.extend(Category::ALL.iter().map(|c| c.label_zh().to_string()));
    for (col, h) in header.iter().enumerate() {
        sheet.write_string(0, col as u16, h)?;
    }
    for (i, g) in report.groups.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, g.dimension)?;
        sheet.write_string(row, 1, &g.group)?;
        sheet.write_number(row, 2, g.children as f64)?;
        for (k, n) in g.levels.iter().chain(&g.categories).enumerate() {
            sheet.write_number(row, 3 + k as u16, *n as f64)?;
        }
    }
    let sheet = book.add_worksheet();
    sheet.set_name("指标触发率")?;
    for (col, h) in ["指标", "类别", "来源", "触发人数", "触发率", "提示"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *h)?;
    }
    for (i, ind) in report.indicators.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &ind.label)?;
        sheet.write_string(row, 1, ind.group)?;
        sheet.write_string(row, 2, if ind.from_visit { "走访" } else { "数据" })?;
        sheet.write_number(row, 3, ind.fired as f64)?;
        sheet.write_number(row, 4, ind.rate)?;
        sheet.write_string(row, 5, ind.flag.unwrap_or(""))?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("核实准确率")?;
    for (col, h) in [
        "类别",
        "情况属实",
        "排除",
        "准确率",
        "主要排除原因",
        "排除但规则仍认定",
        "按规则包",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *h)?;
    }
    for (i, q) in quality.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, q.label)?;
        sheet.write_number(row, 1, q.confirmed as f64)?;
        sheet.write_number(row, 2, q.rejected as f64)?;
        sheet.write_string(row, 3, &q.precision)?;
        sheet.write_string(row, 4, &q.top_reasons)?;
        sheet.write_number(row, 5, q.still_found as f64)?;
        sheet.write_string(row, 6, q.by_pack.join("；"))?;
    }
    book.save_to_buffer()
}

pub(crate) async fn export(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let report = build(&state, &session).await?;
    let quality = super::verify::quality_views(&state).await?;
    let bytes = workbook(&report, &quality)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("writing the workbook")))?;
    let name = format!("fairness-{}.xlsx", report.as_of.format("%Y%m%d"));
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
