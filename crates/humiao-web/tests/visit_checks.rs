//! Visit checks (走访核验) and the locality's visit form in the web UI: a far visit is saved and
//! flagged, the director is told why, the town's station and the centre see it on 走访督导 and
//! the child's page, another town's station does not; a locality's required aspect is asked and
//! enforced, and old visits keep their labels after the form changes.

mod support;

use axum::http::StatusCode;
use humiao_core::access::Role;
use humiao_core::alert::AlertStatus;
use humiao_pipeline::{activate_pack, PackFile, StoredPack};
use humiao_store::{AuditEntry, NewUser};
use support::*;

const FAR_MESSAGE: &str =
    "位置偏离：走访位置距儿童居住村（社区）约 12.0 公里，超过 3 公里（定位精度约 12 米）";

/// The visit form's parts with the position moved `dlat` degrees north of 青石社区.
fn parts_at(csrf: &str, dlat: f64) -> Vec<Part<'static>> {
    visit_parts(csrf, None)
        .into_iter()
        .map(|p| match p {
            Part::Text("lat", _) => Part::Text("lat", format!("{:.6}", VILLAGE_A_POINT.0 + dlat)),
            other => other,
        })
        .collect()
}

async fn add_station_b(app: &TestApp) {
    app.store
        .upsert_user(&NewUser {
            username: "station_b".into(),
            display_name: "西山镇督导员".into(),
            password_hash: humiao_web::hash_password(PASSWORD).unwrap(),
            role: Role::StationStaff,
            jurisdiction: vec![humiao_core::RegionCode::parse("330199002000").unwrap()],
            department: None,
        })
        .await
        .unwrap();
}

async fn alert_status(app: &TestApp, id: i64) -> AlertStatus {
    let centre = app
        .store
        .user_by_username("centre")
        .await
        .unwrap()
        .unwrap()
        .actor();
    app.store.alert_in_scope(&centre, id).await.unwrap().status
}

#[tokio::test]
async fn a_far_visit_is_saved_flagged_and_shown_to_the_towns_supervisors_only() {
    let app = TestApp::new().await;
    add_station_b(&app).await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let csrf = director.csrf().await;
    // 0.108° north of the community's reference point: about 12.0 km.
    let page = director.post_multipart(&uri, &parts_at(&csrf, 0.108)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location.unwrap();
    assert!(
        location.starts_with("/m/alerts?done=visit&visit="),
        "{location}"
    );
    // Saved anyway: a flag is for review, never a refusal.
    assert_eq!(alert_status(&app, app.alert_a).await, AlertStatus::Closed);
    let visits = app.store.visits_of(app.child_a).await.unwrap();
    assert_eq!(visits.len(), 1);

    // The director is told why, after saving.
    let done = director.get(&location).await;
    assert!(done.body.contains("走访已记录"));
    assert!(done.body.contains("id=\"visit-flags\""), "{}", done.body);
    assert!(done.body.contains(FAR_MESSAGE), "{}", done.body);
    // Nobody else reads them through that address.
    let mut other = app.login("director_b").await;
    let theirs = other.get(&location).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.body.contains(FAR_MESSAGE));

    // The town's station: counted for the grid and listed with why, by whom, no child named.
    let mut station = app.login("station_a").await;
    let page = station.get("/centre/visits").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(FAR_MESSAGE), "{}", page.body);
    assert!(
        page.body.contains("id=\"flagged-total\">1<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("青石社区第一网格"));
    assert!(page.body.contains("儿童主任测试"), "the director's name");
    assert!(page
        .body
        .contains(&format!("data-visit-id=\"{}\"", visits[0].id)));
    assert!(!page.body.contains(CHILD_A_NAME), "no child named");
    let audit = app.store.audit_log(None, 200, 0).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "visit_flags.view"
        && r.username == "station_a"
        && r.target_id == visits[0].id.to_string()));

    // The centre sees it too; the other town's station does not.
    let page = app.login("centre").await.get("/centre/visits").await;
    assert!(page.body.contains(FAR_MESSAGE));
    let mut station_b = app.login("station_b").await;
    let page = station_b.get("/centre/visits").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(FAR_MESSAGE));
    assert!(
        page.body.contains("id=\"flagged-total\">0<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("暂无核验存疑的走访"));

    // Directors cannot open 走访督导.
    assert_eq!(
        director.get("/centre/visits").await.status,
        StatusCode::FORBIDDEN
    );

    // The child's page shows the visit's flags to whoever may see the child.
    for user in ["director_a", "station_a", "centre"] {
        let page = app
            .login(user)
            .await
            .get(&format!("/children/{}", app.child_a))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        assert!(page.body.contains("走访核验"), "{user}");
        assert!(page.body.contains(FAR_MESSAGE), "{user}");
    }
    for user in ["director_b", "station_b"] {
        let page = app
            .login(user)
            .await
            .get(&format!("/children/{}", app.child_a))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{user}");
    }
}

#[tokio::test]
async fn a_visit_at_home_raises_nothing() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let csrf = director.csrf().await;
    let page = director.post_multipart(&uri, &parts_at(&csrf, 0.0)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let done = director.get(&page.location.unwrap()).await;
    assert!(done.body.contains("走访已记录"));
    assert!(!done.body.contains("id=\"visit-flags\""));
    let page = app.login("station_a").await.get("/centre/visits").await;
    assert!(
        page.body.contains("id=\"flagged-total\">0<"),
        "{}",
        page.body
    );
}

/// A locality's pack: 家庭情况 relabelled, 居家安全 added and required.
const LOCAL_FORM: &str = "[pack]\nname = \"huxian\"\nversion = \"2026.3\"\nextends = \"national\"\n\n\
[[visit_form.aspects]]\ncode = \"family\"\nlabel = \"家庭与监护情况\"\n\n\
[[visit_form.aspects]]\ncode = \"home_safety\"\nlabel = \"居家安全\"\nhint = \"用电、用火、防溺水\"\nrequired = true\n";

async fn activate(app: &TestApp, local: Vec<PackFile>) {
    activate_pack(
        &app.store,
        &StoredPack::over_national(local),
        &AuditEntry {
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
}

#[tokio::test]
async fn a_localitys_required_aspect_is_asked_and_enforced() {
    let app = TestApp::new().await;
    activate(
        &app,
        vec![PackFile {
            file: "huxian.toml".into(),
            text: LOCAL_FORM.into(),
        }],
    )
    .await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let form = director.get(&uri).await;
    assert_eq!(form.status, StatusCode::OK);
    for text in [
        "家庭与监护情况",
        "外观情况",
        "居家安全 <span class=\"required\">（必填）</span>",
        "用电、用火、防溺水",
        "name=\"aspect_home_safety\"",
        "id=\"aspect-7\"",
    ] {
        assert!(form.body.contains(text), "{text}: {}", form.body);
    }
    assert!(!form.body.contains(">家庭情况<"), "relabelled");

    // Left empty: refused, naming the field; nothing saved, the alert stays open.
    let csrf = attribute_after(&form.body, "name=\"csrf_token\"", "value").unwrap();
    let mut parts = visit_parts(&csrf, None);
    parts.push(Part::Text("aspect_home_safety", "   ".into()));
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("“居家安全”为必填项，请填写后再提交。"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("家中整洁，祖母照料"),
        "typed text is kept"
    );
    assert!(app.store.visits_of(app.child_a).await.unwrap().is_empty());
    assert_eq!(alert_status(&app, app.alert_a).await, AlertStatus::Open);

    // An aspect the form does not have is refused too.
    let mut parts = visit_parts(&csrf, None);
    parts.push(Part::Text("aspect_home_safety", "电线已更换".into()));
    parts.push(Part::Text("aspect_pets", "一条狗".into()));
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("走访项目“pets”不在当前表单中"));

    // Filled in: saved with code and label.
    let mut parts = visit_parts(&csrf, None);
    parts.push(Part::Text("aspect_home_safety", "电线已更换".into()));
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let visits = app.store.visits_of(app.child_a).await.unwrap();
    assert_eq!(visits.len(), 1);
    let stored: Vec<(&str, &str, &str)> = visits[0]
        .aspects
        .iter()
        .map(|a| (a.code.as_str(), a.label.as_str(), a.text.as_str()))
        .collect();
    assert_eq!(
        stored[0],
        ("family", "家庭与监护情况", "家中整洁，祖母照料")
    );
    assert_eq!(stored[6], ("home_safety", "居家安全", "电线已更换"));

    // The locality goes back to the national form: the old visit still reads as recorded.
    activate(&app, Vec::new()).await;
    let form = director
        .get(&format!("/m/alerts/{}/visit", app.alert_a))
        .await;
    assert!(!form.body.contains("居家安全"));
    let page = director.get(&format!("/children/{}", app.child_a)).await;
    assert!(
        page.body.contains("<dt>居家安全</dt><dd>电线已更换</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<dt>家庭与监护情况</dt>"));
}

#[tokio::test]
async fn forms_saved_before_aspects_had_codes_are_still_understood() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let csrf = director.csrf().await;
    let parts = vec![
        Part::Text("csrf_token", csrf),
        Part::Text("aspect_1", "祖母照料".into()),
        Part::Text("aspect_6", "情绪低落".into()),
    ];
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let visit = &app.store.visits_of(app.child_a).await.unwrap()[0];
    assert_eq!(visit.aspect("family"), Some("祖母照料"));
    assert_eq!(visit.aspect("重点关注"), Some("情绪低落"));
    // No position: flagged, and said so.
    assert_eq!(visit.flags[0].message, "未获取定位，无法核对走访位置");
}
