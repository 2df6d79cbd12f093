//! The child director's phone as an installable, offline-capable web app (docs/offline.md).
//!
//! - `/manifest.webmanifest`: name 护苗·儿童主任, icons, start page `/m/alerts`, standalone.
//! - `/sw.js`: the service worker (root scope), with the asset version written in so that a
//!   new build replaces the cached app shell. `Cache-Control: no-cache`: the browser checks
//!   for a new worker on every visit.
//! - [`mark_offline_page`]: the director's pages (`/m/alerts`, `/m/plan`, `/m/verify`,
//!   `/m/children`, the visit forms) answered `200` to a signed-in director carry
//!   `X-Humiao-Offline-User`. The worker keeps a copy of a page only when it carries this
//!   header, so login pages, errors and other roles' pages are never stored on the phone; the
//!   user id lets the worker drop one user's pages before keeping another's.
//!
//! Signing out sends `Clear-Site-Data: "cache", "storage"` (see `auth::logout`): the copies
//! and the queue of unsent visits are children's data and leave the phone with the session.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::assets;
use crate::session::Session;

const SERVICE_WORKER: &str = include_str!("../pwa/sw.js");
const MANIFEST: &str = include_str!("../pwa/manifest.webmanifest");
/// Where the service worker's source says which asset version it caches.
const VERSION_PLACEHOLDER: &str = "__HUMIAO_ASSET_VERSION__";

/// The header marking a response the service worker may keep: the signed-in director's id.
pub(crate) const OFFLINE_USER_HEADER: HeaderName = HeaderName::from_static("x-humiao-offline-user");

/// Paths the session layer need not look at: static, the same for everyone.
pub(crate) fn is_static_path(path: &str) -> bool {
    path == "/sw.js" || path == "/manifest.webmanifest"
}

pub(crate) async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER.replace(VERSION_PLACEHOLDER, assets::version()),
    )
        .into_response()
}

pub(crate) async fn manifest() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        MANIFEST,
    )
        .into_response()
}

/// Marks the director's pages answered in full to a signed-in director as ones the service
/// worker may keep for offline reading. Only page reads (GET), only `200`.
pub(crate) async fn mark_offline_page(req: Request, next: Next) -> Response {
    let user = (req.method() == Method::GET)
        .then(|| req.extensions().get::<Arc<Session>>().map(|s| s.user.id))
        .flatten();
    let mut response = next.run(req).await;
    if let Some(user) = user {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
        if response.status() == StatusCode::OK && html {
            response
                .headers_mut()
                .insert(OFFLINE_USER_HEADER, HeaderValue::from(user));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_knows_the_asset_version_and_the_manifest_is_json() {
        assert!(SERVICE_WORKER.contains(VERSION_PLACEHOLDER));
        let manifest: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
        assert_eq!(manifest["start_url"], "/m/alerts");
        assert_eq!(manifest["name"], "护苗·儿童主任");
        assert_eq!(manifest["display"], "standalone");
    }
}
