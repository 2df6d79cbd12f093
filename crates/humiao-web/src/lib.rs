//! Humiao's web layer: the axum router, the server-rendered pages of every role, sessions,
//! CSRF protection, field masking at render time and the embedded assets.
//!
//! This crate decides nothing about children: which records a user may fetch is applied by
//! `humiao-store` in SQL, and how each field is shown comes from
//! [`humiao_core::access::Actor::visibility`]. What it must do is call those for every request,
//! audit every read of a child's data before rendering it, and never put names or ID numbers
//! into logs (spans carry the matched route, not the URI with its query string).

use std::sync::Arc;

use crate::error::AppError;
use crate::pages::views::PlaceNames;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::routing::{get, post};
use axum::{middleware, Router};
use chrono::{NaiveDate, Utc};
use humiao_core::access::Role;
use humiao_store::Store;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

mod api;
mod assets;
mod auth;
mod error;
mod extract;
mod offline;
mod pages;
mod render;
mod session;
mod upload;
mod worker;

pub use auth::hash_password;
pub use worker::spawn_workers;

/// The largest request body accepted at all (the visit form with its photos).
pub(crate) const MAX_BODY_BYTES: usize = 40 * 1024 * 1024;
/// The largest body of an ordinary form.
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// Settings of the web layer, resolved by the CLI.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// The date used as "today" for ages, due dates and dashboards (demos and tests);
    /// `None`: the current date in China time (UTC+8).
    pub today_override: Option<NaiveDate>,
    /// How stale directors' navigation badges may be (`None`: counted on every page view).
    /// Counting costs two scoped queries, most of a page's cost when a thousand directors work
    /// at once; an alert raised meanwhile also reaches the director by notification, and the
    /// user's own changes refresh their badges at once. `humiao serve` uses [`BADGE_TTL`].
    pub badge_ttl: Option<std::time::Duration>,
    /// How stale the names of places may be (`None`: read on every page view). Regions change
    /// only when a region list is imported; reading 1,000 of them costs a page a few ms.
    /// `humiao serve` uses [`PLACES_TTL`].
    pub places_ttl: Option<std::time::Duration>,
}

/// Everything a handler needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    config: WebConfig,
    /// Woken when an event is stored, so the worker processes it at once.
    events_arrived: tokio::sync::Notify,
    /// Directors' navigation badges, recounted at most every [`BADGE_TTL`].
    badges: std::sync::Mutex<std::collections::HashMap<i64, (std::time::Instant, Badges)>>,
    /// Names of places, reloaded at most every [`PLACES_TTL`].
    places: std::sync::Mutex<Option<(std::time::Instant, Arc<PlaceNames>)>>,
}

/// A director's badge counts: open alerts (我的预警) and findings to verify (待核实).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Badges {
    pub open_alerts: i64,
    pub pending_verifications: i64,
}

/// How stale a badge may be in a served application ([`WebConfig::badge_ttl`]).
pub const BADGE_TTL: std::time::Duration = std::time::Duration::from_secs(15);

/// How stale names of places may be in a served application ([`WebConfig::places_ttl`]).
pub const PLACES_TTL: std::time::Duration = std::time::Duration::from_secs(60);

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                config,
                events_arrived: tokio::sync::Notify::new(),
                badges: Default::default(),
                places: Default::default(),
            }),
        }
    }

    pub(crate) fn events_arrived(&self) -> &tokio::sync::Notify {
        &self.inner.events_arrived
    }

    /// A director's badges if counted less than [`BADGE_TTL`] ago.
    pub(crate) fn cached_badges(&self, user_id: i64) -> Option<Badges> {
        let ttl = self.inner.config.badge_ttl?;
        let badges = self.inner.badges.lock().unwrap_or_else(|e| e.into_inner());
        badges
            .get(&user_id)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, b)| *b)
    }

    pub(crate) fn cache_badges(&self, user_id: i64, value: Badges) {
        let Some(ttl) = self.inner.config.badge_ttl else {
            return;
        };
        let mut badges = self.inner.badges.lock().unwrap_or_else(|e| e.into_inner());
        if badges.len() > 10_000 {
            badges.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        badges.insert(user_id, (std::time::Instant::now(), value));
    }

    /// Forgets a user's badges (after they changed what they count).
    pub(crate) fn forget_badges(&self, user_id: i64) {
        let mut badges = self.inner.badges.lock().unwrap_or_else(|e| e.into_inner());
        badges.remove(&user_id);
    }

    /// Names of places: kept for [`WebConfig::places_ttl`], else read afresh.
    pub(crate) async fn places(&self) -> Result<Arc<PlaceNames>, AppError> {
        let ttl = self.inner.config.places_ttl;
        if let Some(ttl) = ttl {
            let kept = self.inner.places.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, names)) = kept.as_ref().filter(|(at, _)| at.elapsed() < ttl) {
                return Ok(Arc::clone(names));
            }
        }
        let names = Arc::new(PlaceNames::load(self.store()).await?);
        if ttl.is_some() {
            *self.inner.places.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((std::time::Instant::now(), Arc::clone(&names)));
        }
        Ok(names)
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// "Today" for as-of dates: the override, or the date in China (UTC+8).
    pub(crate) fn today(&self) -> NaiveDate {
        self.inner
            .config
            .today_override
            .unwrap_or_else(|| (Utc::now() + chrono::Duration::hours(8)).date_naive())
    }
}

/// Roles allowed on each group of pages.
mod allowed {
    use super::Role;

    pub const DIRECTOR: &[Role] = &[Role::ChildDirector];
    pub const CHILD_WORK: &[Role] = &[Role::ChildDirector, Role::StationStaff, Role::CentreStaff];
    pub const CENTRE: &[Role] = &[Role::CentreStaff, Role::StationStaff];
    /// The county centre alone (record-linkage review sees across the county).
    pub const CENTRE_ONLY: &[Role] = &[Role::CentreStaff];
    pub const IMPORTS: &[Role] = &[Role::CentreStaff, Role::DepartmentLiaison];
    pub const AUDIT: &[Role] = &[Role::Auditor, Role::CentreStaff];
    pub const ADMIN: &[Role] = &[Role::Administrator];
    pub const ANY: &[Role] = &Role::ALL;
}

/// A group of routes open to `roles` only (anonymous users are sent to the login page).
fn guarded(roles: &'static [Role], routes: Router<AppState>) -> Router<AppState> {
    routes.route_layer(middleware::from_fn_with_state(
        roles,
        session::require_roles,
    ))
}

/// Builds the whole application.
pub fn router(state: AppState) -> Router {
    use pages::*;

    let director = Router::new()
        .route("/m/alerts", get(director::alerts))
        .route("/m/children", get(director::children))
        .route("/m/plan", get(plan::director_plan))
        .route("/m/alerts/{id}/reveal", post(director::reveal))
        .route("/m/alerts/{id}/visit", get(visit::form).post(visit::submit))
        .route("/m/sync/token", get(sync::token))
        .route("/m/sync/visits", post(sync::visits))
        .route("/m/verify", get(verify::list))
        .route("/m/verify/{id}", post(verify::submit))
        .route("/m/sync/verifications", post(verify::sync))
        // The pages above may be kept on the phone for offline reading (docs/offline.md).
        .route_layer(middleware::from_fn(offline::mark_offline_page));
    let child_work = Router::new()
        .route("/children", get(child::search))
        .route("/children/{id}", get(child::show))
        .route("/children/{id}/risk-override", post(risk_override::submit))
        .route("/photos/{id}", get(child::photo));
    let centre = Router::new()
        .route("/centre", get(centre::dashboard))
        .route("/centre/alerts", get(centre::alerts))
        .route("/centre/visits", get(plan::supervision))
        .route("/centre/verifications", get(verify::centre))
        .route("/centre/verifications.xlsx", get(verify::export));
    let imports = Router::new()
        .route("/imports", get(imports::batches))
        .route("/imports/{id}", get(imports::batch));
    let linking = Router::new()
        .route("/linking/review", get(linking::review))
        .route("/linking/pair", get(linking::pair).post(linking::decide))
        .route("/centre/rules", get(rules::show))
        .route("/centre/rules/preview", post(rules::preview))
        .route("/centre/rules/activate", post(rules::activate))
        .route("/centre/reveals", get(centre::reveals))
        .route("/centre/events", get(centre::events))
        .route("/centre/fairness", get(fairness::show))
        .route("/centre/fairness.xlsx", get(fairness::export));
    let audit = Router::new().route("/audit", get(audit::log));
    let admin = Router::new().route("/admin/users", get(admin::users));
    let any_user = Router::new()
        .route("/", get(home::home))
        .route("/logout", post(auth::logout));

    let app = Router::new()
        .merge(guarded(allowed::DIRECTOR, director))
        .merge(guarded(allowed::CHILD_WORK, child_work))
        .merge(guarded(allowed::CENTRE, centre))
        .merge(guarded(allowed::CENTRE_ONLY, linking))
        .merge(guarded(allowed::IMPORTS, imports))
        .merge(guarded(allowed::AUDIT, audit))
        .merge(guarded(allowed::ADMIN, admin))
        .merge(guarded(allowed::ANY, any_user))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/healthz", get(health::healthz))
        .route("/api/v1/events", post(api::post_event))
        .route("/api/openapi.json", get(api::openapi))
        .route("/assets/{*path}", get(assets::serve))
        .route("/sw.js", get(offline::service_worker))
        .route("/manifest.webmanifest", get(offline::manifest))
        .fallback(|| async { error::AppError::NotFound })
        // Innermost first: the session layer (identity + CSRF) sees every request.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        // Extractors (multipart) accept what the hard limit below lets through; the session
        // layer applies the tighter limit to ordinary forms.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(error::log_internal_errors))
        .with_state(state);
    with_security_headers(app).layer(TraceLayer::new_for_http().make_span_with(
        |req: &Request<_>| {
            // The matched route, never the URI: query strings carry names.
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), route)
        },
    ))
}

/// Headers on every response; handlers that set their own (assets, photos) keep theirs.
fn with_security_headers(router: Router) -> Router {
    const HEADERS: [(HeaderName, &str); 5] = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' blob:; script-src 'self'; style-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    ];
    HEADERS.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// How long a session lasts.
pub(crate) const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
