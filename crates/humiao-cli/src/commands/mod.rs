//! One module per subcommand, plus what they share: opening the database and "today".

pub mod apikey;
pub mod assess;
pub mod demo;
pub mod events;
pub mod import;
pub mod link;
pub mod migrate;
pub mod rules;
pub mod serve;
pub mod simulate;
pub mod user;

use anyhow::Context;
use chrono::{FixedOffset, NaiveDate, Utc};
use humiao_store::Store;

use crate::args::Global;

/// The database URL: `--database`, or SQLite inside the data directory.
pub fn database_url(global: &Global) -> anyhow::Result<String> {
    if let Some(url) = &global.database {
        return Ok(url.clone());
    }
    std::fs::create_dir_all(&global.data_dir)
        .with_context(|| format!("cannot create data directory {}", global.data_dir.display()))?;
    Ok(format!(
        "sqlite://{}",
        global.data_dir.join("humiao.db").display()
    ))
}

pub async fn open_store(global: &Global) -> anyhow::Result<Store> {
    let url = database_url(global)?;
    Store::connect(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact(&url)))
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Today in China (UTC+8), the date every assessment is made for unless told otherwise.
pub fn today() -> NaiveDate {
    let china = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    Utc::now().with_timezone(&china).date_naive()
}

pub fn parse_date(value: Option<&str>) -> anyhow::Result<NaiveDate> {
    match value {
        None => Ok(today()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("invalid date `{s}`: expected YYYY-MM-DD")),
    }
}

/// Who a change made from the command line is audited as: `cli:<login name>`.
pub fn cli_user() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(name) if !name.is_empty() => format!("cli:{name}"),
        _ => "cli".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact("postgres://app:secret@db/humiao"),
            "postgres://app:***@db/humiao"
        );
        assert_eq!(redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
