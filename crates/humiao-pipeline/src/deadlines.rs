//! The deadline watch: reminds directors of alerts falling due and hands overdue ones up —
//! to the town station, then to the county centre — each step kept with the alert and told
//! through the notifier. "Today" is given, so a test (or `humiao alerts watch --today`) runs
//! the clock forward; `humiao serve` runs it on the real date.

use chrono::{Duration, NaiveDate};
use humiao_core::alert::{deadline_step, AlertParams, DeadlineStep, OpenAlert};
use humiao_core::notify::Notification;
use humiao_store::Store;

use crate::PipelineError;

/// What one pass of the watch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineReport {
    pub reminded: usize,
    pub escalated: usize,
    pub notifications: Vec<Notification>,
}

/// One pass over the open alerts due by `today` (plus the reminder horizon).
pub async fn watch_deadlines(
    store: &Store,
    today: NaiveDate,
    params: &AlertParams,
) -> Result<DeadlineReport, PipelineError> {
    let horizon = today + Duration::days(params.remind_days_before.max(0));
    let mut report = DeadlineReport::default();
    for alert in store.open_alerts_due_by(horizon).await? {
        let open = OpenAlert {
            severity: alert.severity,
            routed_to: alert.routed_to,
            due: alert.due_date,
            reminded: alert.reminded,
        };
        match deadline_step(&open, today, params) {
            Some(DeadlineStep::Remind) => {
                let reminded = store.remind_alert(alert.id, today).await?;
                report.reminded += usize::from(reminded);
                report.notifications.extend(reminded.then(|| {
                    Notification::reminder(alert.grid.clone(), alert.severity, alert.due_date)
                }));
            }
            Some(DeadlineStep::Escalate { to, due }) => {
                let moved = store
                    .escalate_alert(alert.id, alert.routed_to, to, due, today)
                    .await?;
                report.escalated += usize::from(moved);
                report.notifications.extend(
                    moved.then(|| {
                        Notification::escalated(alert.grid.clone(), alert.severity, due, to)
                    }),
                );
            }
            None => {}
        }
    }
    if report.reminded + report.escalated > 0 {
        tracing::info!(
            reminded = report.reminded,
            escalated = report.escalated,
            %today,
            "deadline watch"
        );
    }
    Ok(report)
}
