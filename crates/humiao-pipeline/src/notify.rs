//! Sending notifications for the alerts an assessment raised, and the channel the demo and the
//! CLI use: a structured log line per message (a deployment plugs in an SMS gateway or a
//! messaging-app webhook through [`Notifier`]).

use humiao_core::notify::{Notification, Notifier, NotifyError};

/// Writes each notification as a structured log event (target `humiao::notify`).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn send(&self, n: &Notification) -> Result<(), NotifyError> {
        tracing::info!(
            target: "humiao::notify",
            grid = n.grid.as_ref().map(|g| g.to_string()).unwrap_or_default(),
            to = n.to.as_str(),
            police = n.police,
            severity = n.severity.as_str(),
            due = %n.due,
            text = %n.text,
            "notification"
        );
        Ok(())
    }
}

/// Sends one notification per raised alert; returns how many went out. Failures are logged:
/// the alert is stored and in the recipient's list whatever the channel does.
pub fn notify_all(notifier: &dyn Notifier, notifications: &[Notification]) -> usize {
    notifications
        .iter()
        .filter(|n| match notifier.send(n) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "notification not sent");
                false
            }
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use humiao_core::alert::Severity;
    use std::sync::Mutex;

    /// A channel that records what it sends and refuses the urgent ones.
    #[derive(Default)]
    struct Recording(Mutex<Vec<String>>);

    impl Notifier for Recording {
        fn send(&self, n: &Notification) -> Result<(), NotifyError> {
            if n.severity == Severity::Urgent {
                return Err(NotifyError("gateway down".into()));
            }
            self.0.lock().unwrap().push(n.text.clone());
            Ok(())
        }
    }

    #[test]
    fn failures_are_counted_out_and_do_not_stop_the_rest() {
        let due = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let list = [
            Notification::reminder(None, Severity::Urgent, due),
            Notification::reminder(None, Severity::High, due),
            Notification::reminder(None, Severity::Medium, due),
        ];
        let channel = Recording::default();
        assert_eq!(notify_all(&channel, &list), 2);
        assert_eq!(channel.0.lock().unwrap().len(), 2);
        assert_eq!(notify_all(&LogNotifier, &list), 3);
    }
}
