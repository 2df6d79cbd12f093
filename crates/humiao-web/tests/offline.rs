//! The director's phone offline: the service worker and manifest, pages marked for offline
//! reading, signing out clearing the phone, and the sync of visits queued offline
//! (`/m/sync/token`, `/m/sync/visits`): created once, duplicates, conflicts, access and CSRF.

mod support;

use axum::http::StatusCode;
use humiao_core::access::Role;
use humiao_core::alert::AlertStatus;
use humiao_store::NewUser;
use support::*;

const CLIENT_ID: &str = "5f0c6b1e-2a7d-4c11-9b3e-8d2f4a6c9e01";

/// The parts of a visit as the phone's queue sends it.
fn queued_parts<'a>(
    client_id: &str,
    alert_id: i64,
    recorded_at: &str,
    photo: Option<(&'a str, &'a [u8])>,
) -> Vec<Part<'a>> {
    let mut parts = visit_parts("", photo);
    parts.remove(0); // the token goes in the X-CSRF-Token header
    parts.push(Part::Text("expect_open", "1".into()));
    parts.push(Part::Text("client_id", client_id.into()));
    parts.push(Part::Text("alert_id", alert_id.to_string()));
    parts.push(Part::Text("recorded_at", recorded_at.into()));
    parts
}

fn json(page: &Page) -> serde_json::Value {
    assert!(
        page.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json")),
        "not JSON ({:?}): {}",
        page.content_type,
        page.body
    );
    serde_json::from_str(&page.body).unwrap()
}

/// The session's token as the phone gets it.
async fn sync_token(browser: &mut Browser<'_>) -> String {
    let page = browser.get("/m/sync/token").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.cache_control.as_deref().unwrap().contains("no-store"));
    json(&page)["csrf_token"].as_str().unwrap().to_string()
}

async fn sync(browser: &mut Browser<'_>, token: &str, parts: &[Part<'_>]) -> Page {
    browser
        .post_multipart_with("/m/sync/visits", parts, &[("X-CSRF-Token", token)])
        .await
}

async fn alert_status(app: &TestApp, id: i64) -> (AlertStatus, Option<String>) {
    let centre = app
        .store
        .user_by_username("centre")
        .await
        .unwrap()
        .unwrap()
        .actor();
    let alert = app.store.alert_in_scope(&centre, id).await.unwrap();
    (alert.status, alert.closed_at)
}

#[tokio::test]
async fn the_service_worker_and_the_manifest_are_served_to_anyone() {
    let app = TestApp::new().await;
    let mut anonymous = app.browser();
    let sw = anonymous.get("/sw.js").await;
    assert_eq!(sw.status, StatusCode::OK);
    assert_eq!(
        sw.content_type.as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(sw.cache_control.as_deref(), Some("no-cache"));
    assert!(sw.body.contains("humiao-pages"));
    assert!(!sw.body.contains("__HUMIAO_ASSET_VERSION__"));
    assert!(sw.body.contains("X-Humiao-Offline-User"));
    assert!(
        sw.body.contains("alerts|plan|verify|children"),
        "待核实 is kept too"
    );

    let manifest = anonymous.get("/manifest.webmanifest").await;
    assert_eq!(manifest.status, StatusCode::OK);
    assert_eq!(
        manifest.content_type.as_deref(),
        Some("application/manifest+json")
    );
    let m: serde_json::Value = serde_json::from_str(&manifest.body).unwrap();
    assert_eq!(m["name"], "护苗·儿童主任");
    assert_eq!(m["start_url"], "/m/alerts");
    assert_eq!(m["display"], "standalone");
    for icon in m["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        let page = anonymous.get(src).await;
        assert_eq!(page.status, StatusCode::OK, "{src}");
        assert_eq!(page.content_type.as_deref(), icon["type"].as_str(), "{src}");
    }
    let script = anonymous.get("/assets/offline.js").await;
    assert_eq!(
        script.content_type.as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    // Nothing of it loads from elsewhere.
    for body in [&sw.body, &manifest.body, &script.body] {
        for needle in ["http://", "https://"] {
            assert!(!body.contains(needle), "{needle}");
        }
    }
}

#[tokio::test]
async fn only_a_signed_in_directors_pages_are_marked_for_the_phone() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let user_id = app
        .store
        .user_by_username("director_a")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let visit = format!("/m/alerts/{}/visit", app.alert_a);
    for uri in [
        "/m/alerts",
        "/m/plan",
        "/m/verify",
        "/m/children",
        visit.as_str(),
    ] {
        let page = director.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert_eq!(
            page.headers
                .get("x-humiao-offline-user")
                .map(|v| v.to_str().unwrap()),
            Some(user_id.as_str()),
            "{uri}"
        );
        for marker in [
            "rel=\"manifest\" href=\"/manifest.webmanifest\"",
            "/assets/offline.js?v=",
            &format!("data-offline-user=\"{user_id}\""),
            "data-served=\"network\"",
            "离线模式：显示的是上次同步的内容",
            "id=\"sync-count\"",
            "立即同步",
        ] {
            assert!(page.body.contains(marker), "{marker} missing on {uri}");
        }
    }
    let form = director.get(&visit).await;
    assert!(form.body.contains("name=\"client_id\""));
    assert!(form.body.contains("name=\"expect_open\" value=\"1\""));
    assert!(form
        .body
        .contains(&format!("data-alert-id=\"{}\"", app.alert_a)));

    // Never kept: other grids' forms (404), JSON, the login page, other roles' pages.
    let other = director
        .get(&format!("/m/alerts/{}/visit", app.alert_b))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(other.headers.get("x-humiao-offline-user").is_none());
    let token = director.get("/m/sync/token").await;
    assert!(token.headers.get("x-humiao-offline-user").is_none());
    let login = app.browser().get("/login").await;
    assert!(login.headers.get("x-humiao-offline-user").is_none());
    assert!(!login.body.contains("offline.js"));
    let anonymous = app.browser().get("/m/alerts").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.headers.get("x-humiao-offline-user").is_none());
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre").await;
    assert!(page.headers.get("x-humiao-offline-user").is_none());
    assert!(!page.body.contains("offline.js"));
    assert!(!page.body.contains("data-offline-user"));
}

#[tokio::test]
async fn signing_out_clears_the_phones_copies_and_queue() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let csrf = director.csrf().await;
    let page = director
        .post_form("/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers
            .get("clear-site-data")
            .map(|v| v.to_str().unwrap()),
        Some("\"cache\", \"storage\"")
    );
}

#[tokio::test]
async fn a_queued_visit_is_stored_once_however_often_it_is_sent() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let token = sync_token(&mut director).await;
    let parts = queued_parts(
        CLIENT_ID,
        app.alert_a,
        "2026-11-20T01:30:00Z",
        Some(("image/png", TINY_PNG)),
    );

    let first = sync(&mut director, &token, &parts).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let answer = json(&first);
    assert_eq!(answer["status"], "created");
    let visit_id = answer["visit_id"].as_i64().unwrap();
    assert_eq!(alert_status(&app, app.alert_a).await.0, AlertStatus::Closed);

    // The answer was lost on the way back: the phone sends it again, and again.
    for _ in 0..2 {
        let again = sync(&mut director, &token, &parts).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        let answer = json(&again);
        assert_eq!(answer["status"], "duplicate");
        assert_eq!(answer["visit_id"].as_i64(), Some(visit_id));
        assert!(answer["message"].as_str().unwrap().contains("未重复保存"));
    }
    let visits = app.store.visits_of(app.child_a).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].id, visit_id);
    assert_eq!(visits[0].photo_ids.len(), 1);
    assert_eq!(visits[0].aspect("家庭情况"), Some("家中整洁，祖母照料"));
    assert_eq!(visits[0].latitude, Some(30.2741));
    // When it happened, by the phone's clock — not when it arrived.
    assert_eq!(visits[0].visited_at, "2026-11-20T01:30:00Z");
    let audit = app.store.audit_log(None, 100, 0).await.unwrap();
    let recorded: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "visit.record")
        .collect();
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].detail.contains(CLIENT_ID));

    // The form and the queue are one path: the form posted with the same id is the same visit.
    let csrf = director.csrf().await;
    let mut form = visit_parts(&csrf, Some(("image/png", TINY_PNG)));
    form.push(Part::Text("client_id", CLIENT_ID.into()));
    let page = director
        .post_multipart(&format!("/m/alerts/{}/visit", app.alert_a), &form)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(app.store.visits_of(app.child_a).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_visit_to_an_alert_closed_meanwhile_is_kept_and_reported_without_overwriting() {
    let app = TestApp::new().await;
    app.store
        .upsert_user(&NewUser {
            username: "director_a2".into(),
            display_name: "张主任".into(),
            password_hash: humiao_web::hash_password(PASSWORD).unwrap(),
            role: Role::ChildDirector,
            jurisdiction: vec![humiao_core::RegionCode::parse(GRID_A).unwrap()],
            department: None,
        })
        .await
        .unwrap();
    // While director_a is offline, a colleague visits and closes the alert online.
    let mut colleague = app.login("director_a2").await;
    let csrf = colleague.csrf().await;
    let mut form = visit_parts(&csrf, None);
    form.push(Part::Text("notes", "同事的走访".into()));
    let page = colleague
        .post_multipart(&format!("/m/alerts/{}/visit", app.alert_a), &form)
        .await;
    assert!(
        page.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/m/alerts?done=visit&visit=")),
        "{:?}",
        page.location
    );
    let (status, closed_at) = alert_status(&app, app.alert_a).await;
    assert_eq!(status, AlertStatus::Closed);
    let before = app.store.visits_of(app.child_a).await.unwrap();
    assert_eq!(before.len(), 1);

    // director_a's queued visit arrives.
    let mut director = app.login("director_a").await;
    let token = sync_token(&mut director).await;
    let parts = queued_parts(
        CLIENT_ID,
        app.alert_a,
        "2026-11-21T02:00:00Z",
        Some(("image/png", TINY_PNG)),
    );
    let page = sync(&mut director, &token, &parts).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let answer = json(&page);
    assert_eq!(answer["status"], "conflict");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("由其他走访"), "{message}");
    assert!(message.contains("张主任"), "{message}");
    assert!(message.contains("另行保存"), "{message}");
    let visit_id = answer["visit_id"].as_i64().unwrap();

    // Kept as a visit to the child; the other visit and the closing untouched.
    let after = app.store.visits_of(app.child_a).await.unwrap();
    assert_eq!(after.len(), 2);
    let theirs = after.iter().find(|v| v.id == before[0].id).unwrap();
    assert_eq!(theirs, &before[0]);
    let mine = after.iter().find(|v| v.id == visit_id).unwrap();
    assert_eq!(mine.photo_ids.len(), 1);
    assert_eq!(
        alert_status(&app, app.alert_a).await,
        (AlertStatus::Closed, closed_at)
    );
    // Sent again: a duplicate, not a second conflict.
    let again = json(&sync(&mut director, &token, &parts).await);
    assert_eq!(again["status"], "duplicate");
    assert_eq!(app.store.visits_of(app.child_a).await.unwrap().len(), 2);

    // Without the phone's script the form says the same on the alerts page.
    let csrf = director.csrf().await;
    let mut form = visit_parts(&csrf, None);
    form.push(Part::Text("expect_open", "1".into()));
    let page = director
        .post_multipart(&format!("/m/alerts/{}/visit", app.alert_a), &form)
        .await;
    assert_eq!(page.location.as_deref(), Some("/m/alerts?done=conflict"));
    let alerts = director.get("/m/alerts?done=conflict").await;
    assert!(alerts.body.contains("此前已由其他走访办结"));
    // A supplementary visit to an alert known to be closed is no conflict.
    let form = visit_parts(&csrf, None);
    let page = director
        .post_multipart(&format!("/m/alerts/{}/visit", app.alert_a), &form)
        .await;
    assert!(
        page.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/m/alerts?done=visit&visit=")),
        "{:?}",
        page.location
    );
}

#[tokio::test]
async fn only_the_director_of_the_childs_grid_can_sync_a_visit() {
    let app = TestApp::new().await;
    let parts = queued_parts(
        CLIENT_ID,
        app.alert_a,
        "2026-11-21T02:00:00Z",
        Some(("image/png", TINY_PNG)),
    );

    // Another grid's director: refused as not found, nothing stored, nothing closed.
    let mut other = app.login("director_b").await;
    let token = sync_token(&mut other).await;
    let page = sync(&mut other, &token, &parts).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    let answer = json(&page);
    assert_eq!(answer["status"], "refused");
    assert!(answer["visit_id"].is_null());
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("不在您负责的网格内"));

    // Stations and the centre do not sync phone visits; auditors neither.
    for user in ["station_a", "centre", "auditor"] {
        let mut b = app.login(user).await;
        let csrf = b.csrf().await;
        assert_eq!(
            sync(&mut b, &csrf, &parts).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            b.get("/m/sync/token").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    // Anonymous: no session, so no token can be right; the token page sends to the login.
    let mut anonymous = app.browser();
    assert_eq!(
        sync(&mut anonymous, &"0".repeat(64), &parts).await.status,
        StatusCode::FORBIDDEN
    );
    let page = anonymous.get("/m/sync/token").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login"));

    assert!(app.store.visits_of(app.child_a).await.unwrap().is_empty());
    assert_eq!(alert_status(&app, app.alert_a).await.0, AlertStatus::Open);

    // The director of the grid: stored.
    let mut director = app.login("director_a").await;
    let token = sync_token(&mut director).await;
    assert_eq!(
        sync(&mut director, &token, &parts).await.status,
        StatusCode::CREATED
    );
    // The same id by another user is refused without saying whose it is.
    let mut other = app.login("director_b").await;
    let token = sync_token(&mut other).await;
    let mut theirs = queued_parts(CLIENT_ID, app.alert_b, "2026-11-21T02:00:00Z", None);
    theirs.push(Part::Text("notes", "x".into()));
    let page = sync(&mut other, &token, &theirs).await;
    assert_eq!(json(&page)["status"], "refused");
    assert_eq!(app.store.visits_of(app.child_b).await.unwrap().len(), 0);
}

#[tokio::test]
async fn syncing_needs_the_sessions_csrf_token() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let parts = queued_parts(CLIENT_ID, app.alert_a, "2026-11-21T02:00:00Z", None);
    // No token, a wrong token, another session's token.
    let page = director.post_multipart("/m/sync/visits", &parts).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = sync(&mut director, &"0".repeat(64), &parts).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let mut other = app.login("director_a").await;
    let other_token = sync_token(&mut other).await;
    let mine = sync_token(&mut director).await;
    assert_ne!(other_token, mine);
    assert_eq!(
        sync(&mut director, &other_token, &parts).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(app.store.visits_of(app.child_a).await.unwrap().is_empty());
    // A session that has ended: the token page sends to the login page, the post is refused.
    let csrf = director.csrf().await;
    director
        .post_form("/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        director.get("/m/sync/token").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sync(&mut director, &mine, &parts).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(app.store.visits_of(app.child_a).await.unwrap().is_empty());
    // The current token works.
    let token = sync_token(&mut other).await;
    assert_eq!(
        sync(&mut other, &token, &parts).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_queued_visit_that_cannot_be_stored_is_refused_with_the_reason() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let token = sync_token(&mut director).await;

    // A photo that is not one.
    let parts = queued_parts(
        CLIENT_ID,
        app.alert_a,
        "2026-11-21T02:00:00Z",
        Some(("image/png", b"GIF89a\x01\x00")),
    );
    let page = sync(&mut director, &token, &parts).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let answer = json(&page);
    assert_eq!(answer["status"], "refused");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("不是有效的JPEG、PNG或WebP图片"));

    // No client id: it could not be kept from being stored twice.
    let parts: Vec<Part> = queued_parts(CLIENT_ID, app.alert_a, "2026-11-21T02:00:00Z", None)
        .into_iter()
        .filter(|p| !matches!(p, Part::Text("client_id", _)))
        .collect();
    let page = sync(&mut director, &token, &parts).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&page)["status"], "refused");

    // An alert that does not exist.
    let parts = queued_parts(CLIENT_ID, 999_999, "2026-11-21T02:00:00Z", None);
    let page = sync(&mut director, &token, &parts).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    assert!(app.store.visits_of(app.child_a).await.unwrap().is_empty());
    assert_eq!(alert_status(&app, app.alert_a).await.0, AlertStatus::Open);

    // A phone clock far ahead is not believed: the visit counts as recorded now.
    let parts = queued_parts(CLIENT_ID, app.alert_a, "2099-01-01T00:00:00Z", None);
    let page = sync(&mut director, &token, &parts).await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let visits = app.store.visits_of(app.child_a).await.unwrap();
    assert!(visits[0].visited_at.as_str() < "2099");
}
