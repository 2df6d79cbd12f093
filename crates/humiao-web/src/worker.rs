//! The server's background work: processing accepted events as they arrive (woken by the
//! intake, and every few seconds in case a wake-up was missed or the server restarted with
//! events waiting), and the deadline watch (reminders and escalation) every few minutes.
//! Both call the same pipeline functions as the CLI; a failure is logged and retried on the
//! next round — the events stay in the database until processed.

use std::time::Duration;

use humiao_pipeline::{
    active_pack, notify_all, process_pending_events, watch_deadlines, EventRules, LogNotifier,
};

use crate::AppState;

/// How many events one round takes on.
const EVENT_BATCH: i64 = 200;
const EVENT_POLL: Duration = Duration::from_secs(5);
const DEADLINE_EVERY: Duration = Duration::from_secs(300);

/// Starts the event worker and the deadline watch on the current runtime.
pub fn spawn_workers(state: AppState) {
    tokio::spawn(event_worker(state.clone()));
    tokio::spawn(deadline_watch(state));
}

/// The event rules, rebuilt only when the pack in force or the day changes.
struct PackCache {
    rules: Option<EventRules>,
}

impl PackCache {
    /// The event rules of the pack in force today; rebuilt when the pack or the day changes.
    async fn rules(&mut self, state: &AppState) -> Option<&EventRules> {
        let pack = match active_pack(state.store()).await {
            Ok(pack) => pack,
            Err(e) => {
                tracing::error!(error = %e, "active rule pack unreadable");
                return None;
            }
        };
        let today = state.today();
        let stale = self
            .rules
            .as_ref()
            .is_none_or(|r| !std::sync::Arc::ptr_eq(&r.pack, &pack) || r.as_of != today);
        if stale {
            self.rules = Some(EventRules::new(pack, today));
        }
        self.rules.as_ref()
    }
}

async fn event_worker(state: AppState) {
    let mut cache = PackCache { rules: None };
    loop {
        if let Some(rules) = cache.rules(&state).await {
            loop {
                match process_pending_events(state.store(), state.today(), rules, EVENT_BATCH).await
                {
                    Ok(report) => {
                        notify_all(&LogNotifier, &report.notifications);
                        if report.events < EVENT_BATCH as usize {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "event processing failed; retrying later");
                        break;
                    }
                }
            }
        }
        let _ = tokio::time::timeout(EVENT_POLL, state.events_arrived().notified()).await;
    }
}

async fn deadline_watch(state: AppState) {
    loop {
        let today = state.today();
        match humiao_pipeline::active_pack(state.store()).await {
            Ok(pack) => {
                let params = humiao_pipeline::alert_params(&pack, today);
                match watch_deadlines(state.store(), today, &params).await {
                    Ok(report) => {
                        notify_all(&LogNotifier, &report.notifications);
                    }
                    Err(e) => tracing::error!(error = %e, "deadline watch failed"),
                }
            }
            Err(e) => tracing::error!(error = %e, "active rule pack unusable"),
        }
        tokio::time::sleep(DEADLINE_EVERY).await;
    }
}
