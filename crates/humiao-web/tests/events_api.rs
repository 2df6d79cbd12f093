//! The departments' event API: key authentication (missing, wrong, revoked), events stored
//! before they are acknowledged, duplicates by event ID, malformed events refused with their
//! problems and kept, and the OpenAPI description.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use support::*;

async fn post_event(app: &TestApp, key: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut browser = app.browser();
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let page = browser
        .send(req.body(Body::from(body.to_string())).unwrap())
        .await;
    let value = serde_json::from_str(&page.body).unwrap_or(Value::Null);
    (page.status, value)
}

fn death(event_id: &str) -> String {
    json!({
        "event_id": event_id,
        "kind": "death",
        "occurred_on": "2026-11-20",
        "subject": { "citizen_id": "11010519491231002X", "name": "李梅" },
        "details": "因病去世"
    })
    .to_string()
}

#[tokio::test]
async fn keys_are_required_checked_and_revocable() {
    let app = TestApp::new().await;
    let (status, body) = post_event(&app, None, &death("GA-1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    let (status, body) = post_event(&app, Some("hmk_not_a_key"), &death("GA-1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "API 密钥无效或已吊销");

    let (id, key) = app
        .store
        .create_api_key(humiao_core::Department::Police, "公安推送", "test")
        .await
        .unwrap();
    let (status, _) = post_event(&app, Some(&key), &death("GA-1")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.store.revoke_api_key(id, "test").await.unwrap();
    let (status, _) = post_event(&app, Some(&key), &death("GA-2")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nothing was stored for refused keys.
    assert_eq!(app.store.events(None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn events_are_stored_once_and_malformed_ones_kept_with_their_problems() {
    let app = TestApp::new().await;
    let (_, key) = app
        .store
        .create_api_key(humiao_core::Department::Justice, "司法推送", "test")
        .await
        .unwrap();
    let (status, first) = post_event(&app, Some(&key), &death("SF-1")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["status"], "accepted");
    // The same event again (a retry, a replay): acknowledged, not stored twice.
    let (status, again) = post_event(&app, Some(&key), &death("SF-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["id"], first["id"]);

    let (status, refused) = post_event(&app, Some(&key), "{\"event_id\": \"SF-2\",").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["problems"][0]["field"], "$");
    let bad = json!({
        "event_id": "SF-3",
        "kind": "arrest",
        "occurred_on": "2026-02-30",
        "subject": { "citizen_id": "110105194912310021" }
    })
    .to_string();
    let (status, refused) = post_event(&app, Some(&key), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = refused["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["kind", "occurred_on", "subject.citizen_id"],
        "{refused}"
    );

    let kept = app.store.events(Some("refused"), 10).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].body, bad);
    assert_eq!(kept[0].event_id.as_deref(), Some("SF-3"));
    assert!(kept[0]
        .problems_json
        .as_deref()
        .unwrap()
        .contains("occurred_on"));
    let accepted = app.store.events(Some("accepted"), 10).await.unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].department, "justice");
    assert_eq!(accepted[0].kind.as_deref(), Some("death"));

    // The centre inspects them (audited); nobody else may.
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre/events?status=refused").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("SF-3") && page.body.contains("已拒收"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("occurred_on：“2026-02-30”不是 YYYY-MM-DD 格式的日期"));
    assert!(!page.body.contains("data-event=\"1\""), "only refused ones");
    let page = centre.get("/centre/events").await;
    assert!(page.body.contains("SF-1") && page.body.contains("死亡"));
    for user in ["director_a", "station_a", "liaison"] {
        let mut b = app.login(user).await;
        assert_eq!(
            b.get("/centre/events").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    let audit = app.store.audit_log(None, 50, 0).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "events.view"));

    // Too large is refused before anything is read into the store.
    let huge = format!("{{\"details\": \"{}\"}}", "x".repeat(70 * 1024));
    let (status, _) = post_event(&app, Some(&key), &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_signed_in_browser_is_no_key_and_the_api_is_described() {
    let app = TestApp::new().await;
    // A centre user's session cookie does not open the API.
    let mut centre = app.login("centre").await;
    let req = centre
        .request("POST", "/api/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(death("X-1")))
        .unwrap();
    let page = centre.send(req).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);

    let page = app.browser().get("/api/openapi.json").await;
    assert_eq!(page.status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let kinds = &doc["components"]["schemas"]["Event"]["properties"]["kind"]["enum"];
    let kinds: Vec<&str> = kinds
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = humiao_core::event::EventKind::ALL
        .iter()
        .map(|k| k.code())
        .collect();
    assert_eq!(
        kinds, ours,
        "the description lists exactly the kinds the server reads"
    );
    assert!(doc["paths"]["/api/v1/events"]["post"]["responses"]["422"].is_object());
}

/// An event about child A (lives in grid A, registered in 西山村), processed as the server's
/// worker does.
async fn push_and_process(app: &TestApp, key: &str, body: Value) {
    let (status, _) = post_event(app, Some(key), &body.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let rules = humiao_pipeline::EventRules::new(humiao_rules::national(), today());
    let report = humiao_pipeline::process_pending_events(&app.store, today(), &rules, 10)
        .await
        .unwrap();
    assert_eq!(report.events, 1);
}

#[tokio::test]
async fn events_reach_the_director_where_the_child_lives_and_urgent_ones_the_centre() {
    let app = TestApp::new().await;
    let child_a = humiao_core::CitizenId::from_parts(
        "330199",
        chrono::NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
        11,
    )
    .unwrap();
    let (_, key) = app
        .store
        .create_api_key(humiao_core::Department::Education, "学校", "test")
        .await
        .unwrap();
    push_and_process(
        &app,
        &key,
        json!({
            "event_id": "JY-1", "kind": "mandatory_report", "occurred_on": "2026-11-21",
            "subject": { "citizen_id": child_a.to_string() },
            "details": "老师发现身上多处淤青"
        }),
    )
    .await;
    push_and_process(
        &app,
        &key,
        json!({
            "event_id": "JY-2", "kind": "school_suspension", "occurred_on": "2026-11-21",
            "subject": { "citizen_id": child_a.to_string() }
        }),
    )
    .await;

    // The director of the grid the child lives in sees both, masked; the other grid nothing.
    let mut director = app.login("director_a").await;
    let page = director.get("/m/alerts").await;
    assert!(page.body.contains("强制报告：请立即核实儿童安全"));
    assert!(page.body.contains("儿童停学或辍学，请尽快走访劝返"));
    assert!(!page.body.contains("淤青"));
    let page = app.login("director_b").await.get("/m/alerts").await;
    assert!(!page.body.contains("强制报告"));

    // The centre's own list holds the urgent one, marked for the police, with the detail.
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre/alerts?status=open&routed=mine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("强制报告"), "{}", page.body);
    assert!(page.body.contains("公安协查"));
    assert!(page.body.contains("淤青"));
    assert!(!page.body.contains("停学"), "the high one is the station's");
    // The town station of grid A holds the high one; the urgent one is above it.
    let mut station = app.login("station_a").await;
    let page = station.get("/centre/alerts?status=open&routed=mine").await;
    assert!(page.body.contains("儿童停学或辍学"), "{}", page.body);
    assert!(page.body.contains("镇街督办"));
    assert!(!page.body.contains("强制报告"));
    // …though its full list (its town's alerts) shows both.
    let page = station.get("/centre/alerts?status=open").await;
    assert!(page.body.contains("强制报告") && page.body.contains("停学"));
    assert_eq!(
        station.get("/centre/alerts?routed=other").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        director.get("/centre/alerts?routed=mine").await.status,
        StatusCode::FORBIDDEN
    );

    // The events page says what each event did.
    let page = centre.get("/centre/events").await;
    assert!(
        page.body.contains("涉及儿童1名，生成预警1条"),
        "{}",
        page.body
    );
}
