//! Command-line arguments. Parsing does no work: commands resolve these into what they need.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "humiao",
    version,
    about = "护苗 Humiao — 未成年人保护与儿童福利平台 (minor protection and child welfare)",
    long_about = "护苗 Humiao fuses departments' records into one picture of every child, finds the \
children who need help, alerts the village child director and lets the centre see it all.\n\n\
Start with `humiao demo`: it builds a synthetic county on embedded SQLite and serves the web UI."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Log progress at info level (or set HUMIAO_LOG, e.g. HUMIAO_LOG=debug).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: sqlite in --data-dir.
    #[arg(long, env = "HUMIAO_DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// Directory for the embedded database and the demo's generated files.
    #[arg(
        long,
        env = "HUMIAO_DATA_DIR",
        default_value = "./humiao-data",
        global = true
    )]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a synthetic demo county, import it, assess it and serve the web UI.
    Demo(DemoArgs),
    /// Import department files (CSV/XLSX) with a mapping; `import errors BATCH` lists rejects.
    Import(ImportArgs),
    /// Link imported records into golden records (persons).
    Link(LinkArgs),
    /// Assess every child with the active rule pack: categories, 应保未保, 不应保而保, alerts.
    Assess(AssessArgs),
    /// Rule packs: check, test with case books, show, compare (dry run) and activate.
    Rules(RulesArgs),
    /// Explain one child's categories and entitlements: facts, sources, rules, parameters.
    Explain(ExplainArgs),
    /// Serve the web UI and API.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User(UserArgs),
    /// Departments' API keys for pushing events (POST /api/v1/events).
    Apikey(ApikeyArgs),
    /// Departments' events: import daily event files, process (or replay) accepted events.
    Events(EventsArgs),
    /// Alert deadlines: remind directors, escalate overdue alerts to the station, then the centre.
    Alerts(AlertsArgs),
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub sub: EventsSub,
}

#[derive(Debug, Subcommand)]
pub enum EventsSub {
    /// Import a department's daily event file: JSON Lines, one event per line in the form of
    /// POST /api/v1/events. A bad line is refused and kept with its problems (file, line,
    /// field); the rest go on. An event ID already received is skipped, so re-running is safe.
    Import {
        /// police, education, civil_affairs, justice, court, disability, health (or 公安 …)
        #[arg(long)]
        department: String,
        /// The files (.jsonl)
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Store only; do not process the events now.
        #[arg(long)]
        no_process: bool,
        /// The date to process as (YYYY-MM-DD). Default: today (UTC+8).
        #[arg(long)]
        today: Option<String>,
    },
    /// Process accepted events not yet processed (`humiao serve` does this as they arrive).
    Process {
        /// Process every accepted event again, in arrival order (raises nothing twice).
        #[arg(long)]
        replay: bool,
        /// The date to process as (YYYY-MM-DD). Default: today (UTC+8).
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub sub: AlertsSub,
}

#[derive(Debug, Subcommand)]
pub enum AlertsSub {
    /// One pass of the deadline watch (`humiao serve` runs it every few minutes): remind the
    /// director the day before an alert falls due; hand an overdue one up a level.
    Watch {
        /// The day to act as (YYYY-MM-DD), to run the clock forward. Default: today (UTC+8).
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoSub {
    /// Simulate departments pushing events to a running demo (`humiao demo` in another
    /// terminal), so alerts arrive on the director's phone and the centre's page as you watch.
    Events {
        /// Events per second.
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
        /// Stop after this many events (default: run until Ctrl-C).
        #[arg(long)]
        count: Option<u64>,
        /// The server's address.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Seed of the simulation.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub sub: Option<DemoSub>,
    /// Number of children in the synthetic county.
    #[arg(long, default_value_t = 5000)]
    pub children: usize,
    /// Seed of the generator: the same seed gives the same county.
    #[arg(long, default_value_t = 20261122)]
    pub seed: u64,
    /// Date the county is generated and assessed for (YYYY-MM-DD). Default: today (UTC+8).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Build and import only; do not serve.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub sub: Option<ImportSub>,
    /// Department delivering the files: police 公安, education 教育, civil_affairs 民政,
    /// justice 司法, court 法院, disability 残联, health 卫健.
    #[arg(long, required = true)]
    pub source: Option<String>,
    /// Mapping file (TOML) describing the files' columns (see docs/mapping.md).
    #[arg(long, required = true)]
    pub mapping: Option<PathBuf>,
    /// The files to import (.csv or .xlsx).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Do not link and assess after importing.
    #[arg(long)]
    pub no_link: bool,
    /// Assessment date for the follow-up assessment (YYYY-MM-DD). Default: today (UTC+8).
    #[arg(long)]
    pub as_of: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImportSub {
    /// List the quarantined rows of an import batch.
    Errors {
        /// The batch number printed by `humiao import`.
        batch: i64,
    },
    /// List import batches.
    Batches,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Re-estimate the model and re-link every record (default: link only what is new).
    #[arg(long)]
    pub full: bool,
    /// Explain one record's links instead of linking: a source record number (its subject), or
    /// `NUMBER:ROLE` (e.g. `42:father`).
    #[arg(long, value_name = "RECORD_ID")]
    pub explain: Option<String>,
    /// Write `record_id,person_id` for every source record mention to FILE (CSV).
    #[arg(long, value_name = "FILE")]
    pub export: Option<std::path::PathBuf>,
    /// Also list records that could not be linked.
    #[arg(long)]
    pub unmatched: bool,
    /// Print the clerical review queue (pairs between the thresholds).
    #[arg(long)]
    pub review: bool,
    /// Golden-record survivorship rules (TOML: department trust order and per-field
    /// strategies); saved, audited, and used by every later run. See docs/linking.md.
    #[arg(long, value_name = "FILE")]
    pub survivorship: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Assessment date (YYYY-MM-DD). Default: today (UTC+8).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Re-assess only these persons (repeatable) and, for a parent, their children — after a
    /// record was corrected, say. Default: the whole county.
    #[arg(long = "person", value_name = "PERSON_ID")]
    pub persons: Vec<i64>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Mark session cookies `Secure` (serve behind HTTPS). Default: on unless bound to loopback.
    #[arg(long)]
    pub secure_cookies: Option<bool>,
    /// Pretend today is this date (YYYY-MM-DD), for demos and tests.
    #[arg(long)]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub sub: RulesSub,
}

/// Pack files: a file with `extends = "national"` is a local layer over the shipped national
/// pack; a file without `extends` is a whole pack of its own. Several files stack in order.
#[derive(Debug, Subcommand)]
pub enum RulesSub {
    /// Validate pack files (default: the active pack) and print what they define.
    Check {
        files: Vec<std::path::PathBuf>,
        /// Show parameter values in force on this date (default: today).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Run case books against pack files (default: the national case book on the national pack).
    Test {
        files: Vec<std::path::PathBuf>,
        /// A case book (TOML); repeatable.
        #[arg(long = "cases", value_name = "BOOK")]
        cases: Vec<std::path::PathBuf>,
    },
    /// Print the active pack: layers, parameters with their history, rules.
    Show,
    /// The rules' precision per category from the child directors' verifications of suspected
    /// children (confirmed ÷ confirmed + rejected), with the top rejection reasons.
    Quality,
    /// Dry run: which children would change category if these files became the active pack.
    Diff {
        files: Vec<std::path::PathBuf>,
        #[arg(long)]
        as_of: Option<String>,
        /// List at most this many changed children.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Validate and activate pack files; the next assessment uses them (audited).
    Activate {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The person's number (人员编号, as on the person page).
    pub person: i64,
    /// Assessment date (YYYY-MM-DD). Default: today (UTC+8).
    #[arg(long)]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApikeyArgs {
    #[command(subcommand)]
    pub sub: ApikeySub,
}

#[derive(Debug, Subcommand)]
pub enum ApikeySub {
    /// Create a key for a department; it is printed once and only its hash is kept.
    Add {
        /// police, education, civil_affairs, justice, court, disability, health (or 公安 …)
        #[arg(long)]
        department: String,
        /// What the key is for (which system pushes with it).
        #[arg(long)]
        label: String,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key at once.
    Revoke {
        /// The id `humiao apikey list` shows.
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub sub: UserSub,
}

#[derive(Debug, Subcommand)]
pub enum UserSub {
    /// Create or update a user. The password is read from HUMIAO_PASSWORD or standard input.
    Add {
        username: String,
        /// child_director, station_staff, centre_staff, department_liaison, administrator, auditor
        #[arg(long)]
        role: String,
        /// Region codes the user covers (grids for a director, a town, the county).
        #[arg(long = "region", required = true)]
        regions: Vec<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// The department of a department_liaison (police, education, civil_affairs, …).
        #[arg(long)]
        department: Option<String>,
    },
    /// List users.
    List,
}
