//! Purpose-bound reveal: a director reads "家庭变故" until they state a purpose; then the fact
//! behind the alert, for a limited time; every reveal is audited and the centre reviews them.

mod support;

use axum::http::StatusCode;
use support::*;

#[tokio::test]
async fn a_director_states_a_purpose_to_read_the_fact_for_a_while() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let page = director.get("/m/alerts").await;
    assert!(page.body.contains(MASKED_MESSAGE));
    // The in-app badge: open alerts in the director's grids, on every page's navigation.
    assert!(page.body.contains("我的预警 (1)"), "{}", page.body);
    assert!(director.get("/m/plan").await.body.contains("我的预警 (1)"));
    assert!(!page.body.contains(DETAIL_A), "masked by default");
    assert!(page
        .body
        .contains(&format!("id=\"reveal-{}\"", app.alert_a)));
    let csrf = director.csrf().await;
    let uri = format!("/m/alerts/{}/reveal", app.alert_a);

    // No purpose, no detail.
    let refused = director
        .post_form(&uri, &[("csrf_token", &csrf), ("purpose", "")])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let done = director
        .post_form(
            &uri,
            &[
                ("csrf_token", &csrf),
                ("purpose", "走访准备"),
                ("note", "明天上门"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = director.get("/m/alerts?done=reveal").await;
    assert!(page.body.contains(DETAIL_A), "{}", page.body);
    assert!(page.body.contains("已说明用途：走访准备：明天上门"));

    // Another grid's director cannot reveal it; a reveal that has ended shows nothing.
    let mut other = app.login("director_b").await;
    let csrf_b = other.csrf().await;
    let page = other
        .post_form(&uri, &[("csrf_token", &csrf_b), ("purpose", "核实情况")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let director_b = app
        .store
        .user_by_username("director_b")
        .await
        .unwrap()
        .unwrap()
        .actor();
    app.store
        .reveal_alert(
            &director_b,
            app.alert_b,
            "核实情况",
            chrono::Utc::now() - chrono::Duration::hours(2),
            chrono::Duration::minutes(30),
        )
        .await
        .unwrap();
    let page = other.get("/m/alerts").await;
    assert!(!page
        .body
        .contains(&format!("id=\"detail-{}\"", app.alert_b)));
    assert!(page
        .body
        .contains(&format!("id=\"reveal-{}\"", app.alert_b)));

    // Audited, and the centre reviews every reveal; directors cannot.
    let audit = app
        .store
        .audit_log(Some(("person", &app.child_a.0.to_string())), 20, 0)
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|r| r.action == "alert.reveal" && r.detail.contains("走访准备")));
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre/reveals").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("director_a") && page.body.contains("明天上门"));
    assert!(page.body.contains("director_b"));
    assert_eq!(
        director.get("/centre/reveals").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_reveal_window_is_the_packs_parameter() {
    let app = TestApp::new().await;
    let local = r#"
[pack]
name = "护苗县"
version = "1"
extends = "national"

[parameters.reveal_minutes]
label = "说明用途后可查看预警详情的时长"
unit = "分钟"
values = [{ from = "2019-01-01", value = 5 }]
"#;
    humiao_pipeline::activate_pack(
        &app.store,
        &humiao_pipeline::StoredPack::over_national(vec![humiao_pipeline::PackFile {
            file: "local.toml".into(),
            text: local.into(),
        }]),
        &humiao_store::AuditEntry {
            user_id: None,
            username: "test".into(),
            action: String::new(),
            target_kind: String::new(),
            target_id: String::new(),
            detail: String::new(),
        },
    )
    .await
    .unwrap();
    let mut director = app.login("director_a").await;
    let csrf = director.csrf().await;
    let done = director
        .post_form(
            &format!("/m/alerts/{}/reveal", app.alert_a),
            &[("csrf_token", &csrf), ("purpose", "核实情况")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let (reveal, _) = app.store.reveals(10).await.unwrap().remove(0);
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(
        at(&reveal.expires_at) - at(&reveal.created_at),
        chrono::Duration::minutes(5)
    );
}

#[tokio::test]
async fn a_served_apps_badges_are_cached_until_the_director_changes_something() {
    let mut app = TestApp::new().await;
    app.app = humiao_web::router(humiao_web::AppState::new(
        app.store.clone(),
        humiao_web::WebConfig {
            secure_cookies: false,
            today_override: Some(today()),
            badge_ttl: Some(std::time::Duration::from_secs(3600)),
            places_ttl: Some(std::time::Duration::from_secs(3600)),
        },
    ));
    let mut director = app.login("director_a").await;
    assert!(director
        .get("/m/alerts")
        .await
        .body
        .contains("我的预警 (1)"));
    // An alert raised in the background (an event, the nightly run) …
    let draft = humiao_core::alert::AlertDraft {
        child: app.child_a,
        reason_code: "event:school_absence".into(),
        trigger_key: "event:education:JY-1".into(),
        severity: humiao_core::alert::Severity::Medium,
        masked_message: "儿童近期无故缺课，请了解原因".into(),
        detail: "无故缺课（2026-11-21）".into(),
        due: today() + chrono::Duration::days(7),
        sources: Vec::new(),
        police: false,
    };
    app.store
        .apply_assessment(&humiao_store::AssessmentWrite {
            as_of: today(),
            alerts: vec![humiao_store::NewAlert {
                draft,
                grid: humiao_core::RegionCode::parse(GRID_A).ok(),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    // … shows on the list at once, in the badge within the cache's time …
    let page = director.get("/m/plan").await;
    assert!(page.body.contains("我的预警 (1)"), "cached");
    assert!(director
        .get("/m/alerts")
        .await
        .body
        .contains("儿童近期无故缺课"));
    // … and at once after the director's own next change.
    let csrf = director.csrf().await;
    director
        .post_form(
            &format!("/m/alerts/{}/reveal", app.alert_a),
            &[("csrf_token", &csrf), ("purpose", "走访准备")],
        )
        .await;
    assert!(director
        .get("/m/alerts")
        .await
        .body
        .contains("我的预警 (2)"));
}
