use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use humiao_store::Store;
use humiao_web::{AppState, WebConfig};

use crate::args::{Global, ServeArgs};

/// Serves until Ctrl-C.
pub async fn serve(store: Store, bind: SocketAddr, config: WebConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let local = listener.local_addr()?;
    println!("护苗 Humiao 已启动: http://{local}/  (Ctrl-C 退出)");
    tracing::info!(%local, "serving");
    // A database from before the visit schedule was kept gets one before the first plan page.
    let today = config.today_override.unwrap_or_else(super::today);
    let pack = humiao_pipeline::active_pack(&store).await?;
    humiao_pipeline::ensure_schedules(&store, &pack, today).await?;
    let state = AppState::new(store, config);
    humiao_web::spawn_workers(state.clone());
    let app = humiao_web::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server stopped")?;
    Ok(())
}

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    let today = args
        .today
        .as_deref()
        .map(|d| super::parse_date(Some(d)))
        .transpose()?;
    let config = WebConfig {
        secure_cookies: args.secure_cookies.unwrap_or(!args.bind.ip().is_loopback()),
        today_override: today,
        badge_ttl: Some(humiao_web::BADGE_TTL),
        places_ttl: Some(humiao_web::PLACES_TTL),
    };
    serve(store, args.bind, config).await?;
    Ok(ExitCode::SUCCESS)
}
