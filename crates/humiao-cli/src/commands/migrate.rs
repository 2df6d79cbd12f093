use std::process::ExitCode;

use crate::args::Global;

pub async fn run(global: &Global) -> anyhow::Result<ExitCode> {
    // Connecting applies the migrations.
    let store = super::open_store(global).await?;
    store.close().await;
    println!("数据库已是最新结构 (migrations applied)");
    Ok(ExitCode::SUCCESS)
}
