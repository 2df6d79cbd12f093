//! Storage of Humiao: one schema on embedded SQLite (the default) and PostgreSQL (production).
//!
//! Both backends are reached through sqlx's `Any` driver with SQL that means the same on both:
//! `$n` placeholders, dates as ISO text, integers as 64-bit, no dialect functions. The schema
//! lives in `migrations/{sqlite,postgres}` and is applied on connect. This crate turns domain
//! values into rows and back; it makes no decisions (those are in `humiao-core`), but it does
//! apply jurisdiction scopes in SQL and writes the audit log in the same transaction as the
//! change it records.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, Row};
use tokio::sync::{Mutex, MutexGuard};

mod alerts;
mod audit;
mod children;
mod dashboard;
mod events;
mod houses;
mod imports;
mod linkstate;
mod population;
mod regions;
mod reveals;
mod risk;
mod schedule;
mod settings;
mod users;
mod verifications;
mod visits;

pub use alerts::{AlertFilter, AlertRow, AlertStep, DueAlert, NewAlert};
pub use audit::{AuditEntry, AuditRow, ChainCheck};
pub use children::{
    CategoryRow, ChildFilter, ChildSummary, FactRow, LinkedRecordRow, RelativeRow, RiskLevelSummary,
};
pub use dashboard::{CountRow, Dashboard};
pub use events::{ApiKeyAuth, ApiKeyRow, EventReceipt, EventRow, PersonBrief, SampleFamily};
pub use houses::{HouseCounts, HouseRelation, HouseRow, PersonHouse, ResidentRow};
pub use imports::{BatchRow, BatchStatus, NewBatch, NewSourceRecord, PendingRecord, QuarantineRow};
pub use linkstate::{DecisionRow, LinkableRecord, MentionLink, PersonEventRow, ReviewRow};
pub use population::{AssessmentWrite, LinkWriter, NewPerson, Population, UnmatchedRow};
pub use regions::RegionRow;
pub use reveals::RevealRow;
pub use risk::{NewRiskOverride, RiskOverrideRow, RiskRow};
pub use schedule::{visit_day, ScheduleCounts, ScheduleEntry, SchedulePage};
pub use settings::SettingRow;
pub use users::{NewUser, SessionRow, UserRow};
pub use verifications::{
    CategoryQuality, DecidedVerification, NewVerification, PendingVerification, VerificationCount,
    VerificationRow,
};
pub use visits::{
    ClosedAlert, FlaggedVisitRow, NewObservation, NewPhoto, NewVisit, PhotoRow, RecordedVisit,
    VisitRow,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("记录不存在")]
    NotFound,
    #[error("数据冲突：{0}")]
    Conflict(String),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored value is not valid: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer; taking this before a write transaction turns "database is
    /// locked" errors into waiting. PostgreSQL writers do not take it.
    write_lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// One migration per dialect: its version (the number its files start with), its description
/// and its SQL.
type MigrationFile = (i64, &'static str, &'static str);

/// The migrations of both dialects, in order. Versions are the files' numbers, not positions,
/// so migrations written on different branches (0010, 0011, 0012 …) keep their versions when
/// the branches meet.
macro_rules! migrations {
    ($($version:literal $description:literal $file:literal),* $(,)?) => {
        (
            &[$(($version, $description, include_str!(concat!("../migrations/sqlite/", $file)))),*],
            &[$(($version, $description, include_str!(concat!("../migrations/postgres/", $file)))),*],
        )
    };
}

fn migrator(backend: Backend) -> Migrator {
    let (sqlite, postgres): (&[MigrationFile], &[MigrationFile]) = migrations![
        1 "initial" "0001_initial.sql",
        2 "user department" "0002_user_department.sql",
        3 "linking" "0003_linking.sql",
        4 "houses and settings" "0004_houses.sql",
        5 "risk" "0005_risk.sql",
        6 "visit observations" "0006_observations.sql",
        7 "risk overrides" "0007_risk_overrides.sql",
        8 "events" "0008_events.sql",
        9 "reveals" "0009_reveals.sql",
        10 "routing" "0010_routing.sql",
        11 "visit client id" "0011_visit_client_id.sql",
        12 "visit checks" "0012_visit_checks.sql",
        13 "verifications" "0013_verifications.sql",
        14 "scope index" "0014_scope_index.sql",
        15 "open alerts due, partial" "0015_open_due_partial.sql",
        16 "visit schedule" "0016_visit_schedule.sql",
        17 "alert page order" "0017_alert_page_order.sql",
    ];
    let files = match backend {
        Backend::Sqlite => sqlite,
        Backend::Postgres => postgres,
    };
    Migrator {
        migrations: Cow::Owned(
            files
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…` and applies migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            // Pinging a connection before each use guards against a server that dropped it; an
            // embedded database cannot, and the ping is a round trip to the connection's thread
            // for every query.
            .test_before_acquire(backend == Backend::Postgres)
            // An embedded connection is kept for the life of the process: a fresh one starts
            // with an empty page cache and no prepared statements, which the requests that meet
            // it pay for (sqlx would otherwise replace each every 30 minutes).
            .max_lifetime((backend == Backend::Postgres).then_some(Duration::from_secs(30 * 60)))
            .idle_timeout((backend == Backend::Postgres).then_some(Duration::from_secs(10 * 60)))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A page cache of 64 MiB per connection (SQLite's default is 2 MiB):
                        // the indexes a director's lists read stay in memory instead of being
                        // read again from the file on every request.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                             PRAGMA cache_size = -65536;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Self {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<()> {
        migrator(self.backend).run(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Runs a raw statement. Only for tests that must corrupt data on purpose (e.g. to prove the
    /// audit chain detects tampering); never used by the application.
    #[doc(hidden)]
    pub async fn execute_for_tests(&self, sql: &str) {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .expect("test statement");
    }

    /// Begins a write transaction (serialised on SQLite).
    async fn begin_write(&self) -> Result<WriteTx<'_>> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        };
        let tx = self.pool.begin().await?;
        Ok(WriteTx { tx, _guard: guard })
    }
}

/// An open write transaction, holding the SQLite writer lock until it ends.
pub(crate) struct WriteTx<'a> {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// A bound value for [`Sql`].
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// A small SQL builder that numbers `$n` placeholders (sqlx's `QueryBuilder` writes `?` for
/// `Any`, which PostgreSQL rejects).
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub(crate) text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// A list of ids for `IN (…)`, bound, not inlined: padded (with its last id, which changes
    /// nothing) to the next size of 8, 16, 32, …, so that pages of a list ask with the same
    /// statement, which each connection prepares once and keeps, instead of a new text each
    /// time that has to be parsed and planned again. `ids` must not be empty.
    pub(crate) fn push_ids(&mut self, ids: &[i64]) -> &mut Self {
        let last = *ids.last().expect("a non-empty id list");
        let size = ids.len().next_power_of_two().max(8);
        for (i, id) in ids
            .iter()
            .chain(std::iter::repeat(&last))
            .take(size)
            .enumerate()
        {
            if i > 0 {
                self.text.push(',');
            }
            self.bind(Arg::Int(*id));
        }
        self
    }

    pub(crate) fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for arg in &self.args {
            q = match arg {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }
}

pub(crate) fn now_text(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// As [`now_text`] to the millisecond: when an event arrived and was processed (the latency
/// from one to the other is a measured target).
pub(crate) fn now_text_ms(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A nullable float as a bind argument, for `CAST($n AS DOUBLE PRECISION)`. sqlx's `Any`
/// driver binds a NULL `f64` as a PostgreSQL `float4`; the statement cached on the connection
/// then refuses a later non-NULL `f64` ("incorrect binary data format"). Text has one type
/// either way, and Rust prints an `f64` so that it reads back exactly.
pub(crate) fn float_arg(value: Option<f64>) -> Option<String> {
    value.filter(|v| v.is_finite()).map(|v| v.to_string())
}

/// Person ids as an SQL list ("1,2,3") for `IN (…)`: integers, so inlining them is safe, and
/// one query serves any number of children.
pub(crate) fn id_list(ids: &[humiao_core::PersonId]) -> String {
    ids.iter()
        .map(|p| p.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date `{s}`")))
}

pub(crate) fn parse_opt_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.as_deref().map(parse_date).transpose()
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("timestamp `{s}`")))
}

pub(crate) fn get<T>(row: &AnyRow, column: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get::<T, _>(column)?)
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_bound_in_a_few_sizes_so_their_statements_repeat() {
        let text = |ids: &[i64]| {
            let mut sql = Sql::new("IN (");
            sql.push_ids(ids).push(")");
            (sql.text.clone(), sql.args.len())
        };
        let (three, n) = text(&[5, 6, 7]);
        assert_eq!(n, 8);
        assert_eq!(three, "IN ($1,$2,$3,$4,$5,$6,$7,$8)");
        // Another page of the same size asks with the same text.
        assert_eq!(text(&[9, 10, 11, 12, 13]).0, three);
        assert_eq!(text(&(1..=40).collect::<Vec<_>>()).1, 64);
        // Padding repeats the last id, which an `IN` list ignores.
        let mut sql = Sql::new("");
        sql.push_ids(&[4, 2]);
        assert!(sql.args[2..].iter().all(|a| matches!(a, Arg::Int(2))));
    }
}
