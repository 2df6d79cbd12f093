//! Outgoing notifications (SMS gateway, a government messaging app's webhook …) behind a trait,
//! so that the deployment chooses the channel. A notification says *that* something needs the
//! recipient and how urgently — never the child's name or the sensitive fact: the recipient
//! signs in to read it, where access rules and the audit log apply.

use chrono::NaiveDate;
use serde::Serialize;

use crate::alert::Severity;
use crate::region::RegionCode;

/// One message for the people responsible for a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Whose: the grid the alert is routed to (its director); `None` routes to the centre.
    pub grid: Option<RegionCode>,
    pub severity: Severity,
    pub text: String,
    pub due: NaiveDate,
}

impl Notification {
    /// The message for a newly raised alert: its urgency and deadline, nothing about the child.
    pub fn for_alert(grid: Option<RegionCode>, severity: Severity, due: NaiveDate) -> Self {
        Self {
            text: format!(
                "【护苗】您负责的网格有一条新的{}预警，请于{}前登录处理。",
                severity.label_zh(),
                due.format("%Y-%m-%d")
            ),
            grid,
            severity,
            due,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("通知发送失败：{0}")]
pub struct NotifyError(pub String);

/// A channel notifications go out on. Sending may fail; the alert itself is already stored and
/// listed in the app, so a failure is logged, never fatal.
pub trait Notifier: Send + Sync {
    fn send(&self, notification: &Notification) -> Result<(), NotifyError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_notification_names_no_child_and_no_fact() {
        let n = Notification::for_alert(
            RegionCode::parse("330199001001001").ok(),
            Severity::Urgent,
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        );
        assert_eq!(
            n.text,
            "【护苗】您负责的网格有一条新的紧急预警，请于2026-11-23前登录处理。"
        );
    }
}
