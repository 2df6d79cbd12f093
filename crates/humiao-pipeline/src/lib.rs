//! The data loop: department files in, records linked into golden records, children assessed,
//! alerts raised. Each stage is a function over the [`Store`]; the CLI and the demo call the
//! same functions, so the demo exercises exactly what a user runs.
//!
//! This crate orchestrates; the decisions themselves live in `humiao-core`.
//!
//! [`Store`]: humiao_store::Store

mod alert_params;
mod assess;
mod county;
mod deadlines;
mod events;
mod fairness;
mod houses;
mod import;
mod link;
mod notify;
mod rules;
mod survivorship;
mod visit_plan;

pub use alert_params::alert_params;
pub use assess::{assess_all, assess_children, AssessReport};
pub use deadlines::{watch_deadlines, DeadlineReport};
pub use events::{
    process_event, process_pending_events, replay_events, EventOutcome, EventRules, EventsReport,
    MentionOutcome,
};
pub use fairness::{fairness_report, FairnessReport, GroupRow, IndicatorRate};
pub use houses::derive_houses;
pub use import::{import_file, load_mapping, FileOutcome, ImportError, ImportReport, Progress};
pub use link::{
    explain_pair, explain_person, explain_record, input_of, link_records, mention_key,
    parse_mention_key, LinkOptions, LinkReport,
};
pub use notify::{notify_all, LogNotifier};
pub use rules::{
    activate_pack, active_pack, active_pack_files, diff_packs, explain_child, ChildChange,
    PackDiff, PackFile, StoredPack, ACTIVE_PACK_KEY,
};
pub use survivorship::{
    parse_survivorship, save_survivorship, saved_survivorship, SurvivorshipError, SURVIVORSHIP_KEY,
};
pub use visit_plan::{
    ensure_schedules, refresh_all_schedules, refresh_schedules, schedule_entry, visit_plan,
    PlanItem, VisitFrequency, VisitPlan,
};

/// Errors of a pipeline stage that stop it (bad rows never do: they are quarantined).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] humiao_store::StoreError),
    #[error("规则包有误：\n{0}")]
    Rules(#[from] humiao_rules::PackErrors),
    #[error("{0}")]
    Corrupt(String),
}
