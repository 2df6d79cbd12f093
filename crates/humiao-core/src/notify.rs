//! Outgoing notifications (SMS gateway, a government messaging app's webhook …) behind a trait,
//! so that the deployment chooses the channel. A notification says *that* something needs the
//! recipient and how urgently — never the child's name or the sensitive fact: the recipient
//! signs in to read it, where access rules and the audit log apply.

use chrono::NaiveDate;
use serde::Serialize;

use crate::alert::{route_of, AlertDraft, RouteLevel, Severity};
use crate::region::RegionCode;

/// One message for the people responsible for a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Whose: the grid the alert is routed to (its director); `None` routes to the centre.
    pub grid: Option<RegionCode>,
    pub severity: Severity,
    pub text: String,
    pub due: NaiveDate,
    /// Who besides the grid's director: the town station, the county centre (up to this level).
    pub to: RouteLevel,
    /// The police liaison is told as well.
    pub police: bool,
}

impl Notification {
    /// The message for a newly raised alert: its urgency and deadline, nothing about the child;
    /// addressed as the alert is routed (high: the town too; urgent: the centre and the police).
    pub fn for_alert(grid: Option<RegionCode>, draft: &AlertDraft) -> Self {
        let (to, police) = route_of(draft.severity, draft.police);
        Self {
            text: format!(
                "【护苗】您负责的网格有一条新的{}预警，请于{}前登录处理。",
                draft.severity.label_zh(),
                draft.due.format("%Y-%m-%d")
            ),
            grid,
            severity: draft.severity,
            due: draft.due,
            to,
            police,
        }
    }

    /// A reminder to the grid's director that an alert falls due.
    pub fn reminder(grid: Option<RegionCode>, severity: Severity, due: NaiveDate) -> Self {
        Self {
            text: format!(
                "【护苗】提醒：您负责的网格有一条{}预警将于{}到期，请及时处理。",
                severity.label_zh(),
                due.format("%Y-%m-%d")
            ),
            grid,
            severity,
            due,
            to: RouteLevel::Grid,
            police: false,
        }
    }

    /// An overdue alert handed up to `to` (the station, then the centre), with its new deadline.
    pub fn escalated(
        grid: Option<RegionCode>,
        severity: Severity,
        due: NaiveDate,
        to: RouteLevel,
    ) -> Self {
        Self {
            text: format!(
                "【护苗】一条{}预警逾期未处置，已上报{}督办，请于{}前处理。",
                severity.label_zh(),
                to.label_zh(),
                due.format("%Y-%m-%d")
            ),
            grid,
            severity,
            due,
            to,
            police: false,
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
        let draft = AlertDraft {
            child: crate::PersonId(1),
            reason_code: "event:mandatory_report".into(),
            trigger_key: "event:education:1".into(),
            severity: Severity::Urgent,
            masked_message: "强制报告：请立即核实儿童安全".into(),
            detail: "淤青".into(),
            due: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            sources: Vec::new(),
            police: false,
        };
        let n = Notification::for_alert(RegionCode::parse("330199001001001").ok(), &draft);
        assert_eq!(
            n.text,
            "【护苗】您负责的网格有一条新的紧急预警，请于2026-11-23前登录处理。"
        );
        assert_eq!((n.to, n.police), (RouteLevel::County, true));
    }
}
