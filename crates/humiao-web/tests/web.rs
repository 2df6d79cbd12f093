//! The web layer end to end, in process, against a real SQLite file.

mod support;

use axum::body::Body;
use axum::http::{header, StatusCode};
use humiao_store::{AuditEntry, NewPhoto, NewVisit};
use support::*;

#[tokio::test]
async fn healthz_answers_ok_without_a_session() {
    let app = TestApp::new().await;
    let page = app.browser().get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["status"], "ok");
}

#[tokio::test]
async fn anonymous_browsers_are_sent_to_the_login_page() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for uri in ["/m/alerts", "/", "/children/1", "/centre", "/audit"] {
        let page = browser.get(uri).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(page.location.as_deref(), Some("/login"), "{uri}");
    }
    let login = browser.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    for id in ["id=\"username\"", "id=\"password\"", "id=\"login-submit\""] {
        assert!(login.body.contains(id), "{id}");
    }
}

#[tokio::test]
async fn login_succeeds_sets_a_safe_cookie_and_redirects_by_role() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let form = browser.get("/login").await;
    let csrf = attribute_after(&form.body, "name=\"csrf_token\"", "value").unwrap();
    let req = browser
        .request("POST", "/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "csrf_token={csrf}&username=director_a&password={}",
            PASSWORD
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        )))
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session_cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("humiao_session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session_cookie.contains(attr), "{session_cookie}");
    }
    assert!(!session_cookie.contains("Secure"));

    for (user, start) in [
        ("director_a", "/m/alerts"),
        ("centre", "/centre"),
        ("station_a", "/centre"),
        ("auditor", "/audit"),
        ("liaison", "/imports"),
        ("admin", "/admin/users"),
    ] {
        let mut b = app.login(user).await;
        let home = b.get("/").await;
        assert_eq!(home.location.as_deref(), Some(start), "{user}");
        let page = b.get(start).await;
        assert_eq!(page.status, StatusCode::OK, "{user} {start}: {}", page.body);
    }
    let audit = app.store.audit_log(None, 100, 0).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "login.success"));
    assert!(audit.iter().all(|r| !r.detail.contains(PASSWORD)));
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::new().await;
    let wrong = app.browser().try_login("director_a", "nope").await;
    let unknown = app.browser().try_login("nobody", "nope").await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(wrong.body.contains("用户名或密码错误"));
    assert!(unknown.body.contains("用户名或密码错误"));
    let audit = app.store.audit_log(None, 100, 0).await.unwrap();
    assert_eq!(
        audit.iter().filter(|r| r.action == "login.failure").count(),
        2
    );
    assert!(audit.iter().all(|r| !r.detail.contains("nope")));
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        let page = app.browser().try_login("director_a", "wrong").await;
        assert!(page.body.contains("用户名或密码错误"));
    }
    let mut browser = app.browser();
    let page = browser.try_login("director_a", PASSWORD).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("账号已锁定，请15分钟后再试"),
        "{}",
        page.body
    );
    assert!(!browser.cookies.contains_key("humiao_session"));
    let audit = app.store.audit_log(None, 100, 0).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "login.lock"));
    // Another user is unaffected, and a success resets the count.
    app.login("director_b").await;
    let user = app
        .store
        .user_by_username("director_b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.failed_logins, 0);
}

#[tokio::test]
async fn unsafe_requests_without_the_csrf_token_are_forbidden() {
    let app = TestApp::new().await;
    // The login form without its pre-session cookie.
    let page = app
        .browser()
        .post_form(
            "/login",
            &[("username", "director_a"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let mut director = app.login("director_a").await;
    let page = director.post_form("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = director
        .post_form("/logout", &[("csrf_token", &"0".repeat(64))])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // A multipart visit without the token closes nothing.
    let mut parts = visit_parts("", Some(("image/png", TINY_PNG)));
    parts.remove(0);
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .count_alerts(humiao_core::alert::AlertStatus::Closed)
            .await
            .unwrap(),
        0
    );

    // With the token (as header), logout works.
    let csrf = director.csrf().await;
    let req = director
        .request("POST", "/logout")
        .header("X-CSRF-Token", csrf)
        .body(Body::empty())
        .unwrap();
    let page = director.send(req).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert_eq!(
        director.get("/m/alerts").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_director_sees_only_the_children_of_their_grid() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;

    let alerts = director.get("/m/alerts").await;
    assert_eq!(alerts.status, StatusCode::OK);
    assert!(alerts.body.contains(CHILD_A_NAME));
    assert!(alerts.body.contains(MASKED_MESSAGE));
    assert!(!alerts.body.contains(CHILD_B_NAME));
    assert!(!alerts.body.contains(DETAIL_A));
    assert!(alerts.body.contains("id=\"alert-list\""));
    assert!(alerts.body.contains("class=\"alert-item"));

    let children = director.get("/m/children").await;
    assert!(children.body.contains(CHILD_A_NAME));
    assert!(!children.body.contains(CHILD_B_NAME));
    assert!(children.body.contains("事实无人抚养儿童"));

    let other = director.get(&format!("/children/{}", app.child_b)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains(CHILD_B_NAME));
    // An adult in the grid is not a director's business.
    let adult = director.get(&format!("/children/{}", app.father)).await;
    assert_eq!(adult.status, StatusCode::NOT_FOUND);
    let missing = director.get("/children/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let search = director
        .get("/children?q=%E6%9D%8E%E5%B0%8F%E7%BA%A2")
        .await;
    assert_eq!(search.status, StatusCode::OK);
    // The query is echoed in the search box; the result list must not hold the child.
    assert!(search.body.contains("id=\"no-results\""));
    assert!(!search
        .body
        .contains(&format!("data-person-id=\"{}\"", app.child_b)));
    assert!(!search.body.contains(&format!("/children/{}", app.child_b)));
    let own = director
        .get("/children?q=%E7%8E%8B%E5%B0%8F%E6%98%8E")
        .await;
    assert!(own
        .body
        .contains(&format!("data-person-id=\"{}\"", app.child_a)));

    let visit_b = director
        .get(&format!("/m/alerts/{}/visit", app.alert_b))
        .await;
    assert_eq!(visit_b.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn roles_are_refused_pages_that_are_not_theirs() {
    let app = TestApp::new().await;
    let mut auditor = app.login("auditor").await;
    assert_eq!(auditor.get("/m/alerts").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        auditor
            .get(&format!("/children/{}", app.child_a))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut director = app.login("director_a").await;
    assert_eq!(director.get("/audit").await.status, StatusCode::FORBIDDEN);
    assert_eq!(director.get("/centre").await.status, StatusCode::FORBIDDEN);
    assert_eq!(director.get("/imports").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        director.get("/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
    let mut liaison = app.login("liaison").await;
    assert_eq!(liaison.get("/centre").await.status, StatusCode::FORBIDDEN);
    assert_eq!(liaison.get("/imports").await.status, StatusCode::OK);
}

#[tokio::test]
async fn photos_of_children_outside_the_jurisdiction_are_not_found() {
    let app = TestApp::new().await;
    let director_b = app
        .store
        .user_by_username("director_b")
        .await
        .unwrap()
        .unwrap()
        .actor();
    app.store
        .record_visit(
            &director_b,
            &NewVisit {
                person: app.child_b,
                alert_id: Some(app.alert_b),
                visited_at: chrono::Utc::now(),
                latitude: None,
                longitude: None,
                accuracy_m: None,
                aspects: Vec::new(),
                notes: String::new(),
                photos: vec![NewPhoto {
                    content_type: "image/png".into(),
                    bytes: TINY_PNG.to_vec(),
                }],
                observations: Vec::new(),
                observed_on: today(),
                checks: humiao_rules::visit::check_params(&humiao_rules::national(), today()),
                client_id: None,
            },
        )
        .await
        .unwrap();
    let visits = app.store.visits_of(app.child_b).await.unwrap();
    let photo_id = visits[0].photo_ids[0];

    let mut director_a = app.login("director_a").await;
    let page = director_a.get(&format!("/photos/{photo_id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_ne!(page.bytes, TINY_PNG);

    let mut browser_b = app.login("director_b").await;
    let page = browser_b.get(&format!("/photos/{photo_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.content_type.as_deref(), Some("image/png"));
    assert_eq!(page.cache_control.as_deref(), Some("private, no-store"));
    assert_eq!(page.bytes, TINY_PNG);
    let audit = app.store.audit_log(None, 50, 0).await.unwrap();
    assert!(audit
        .iter()
        .any(|r| r.action == "photo.view" && r.target_id == photo_id.to_string()));
}

#[tokio::test]
async fn the_child_page_is_masked_for_directors_and_complete_for_the_centre() {
    let app = TestApp::new().await;
    let full_id = app.child_a_id.to_string();
    let uri = format!("/children/{}", app.child_a);

    let mut director = app.login("director_a").await;
    let page = director.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(CHILD_A_NAME));
    assert!(page.body.contains(&app.child_a_id.masked()));
    assert!(!page.body.contains(&full_id));
    assert!(!page.body.contains(DETAIL_A));
    assert!(page.body.contains(MASKED_MESSAGE));
    assert!(page.body.contains("事实无人抚养儿童"));
    assert!(page.body.contains("青石社区幸福路12号3幢201室"));
    assert!(page.body.contains("王强"), "guardian's name");
    assert!(!page.body.contains("民发〔2019〕62号"));
    assert!(!page.body.contains("户籍.csv"));

    let mut station = app.login("station_a").await;
    let page = station.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&full_id));
    assert!(page.body.contains(&app.child_a_id.masked()));
    assert!(!page.body.contains("3幢201室"));
    assert!(page.body.contains("青石社区幸福路****"));
    assert!(!page.body.contains(DETAIL_A));
    let alerts = station.get("/centre/alerts?status=all").await;
    assert!(alerts.body.contains(CHILD_A_NAME));
    assert!(!alerts.body.contains(DETAIL_A));
    assert!(!alerts.body.contains(CHILD_B_NAME));
    // The station covers 东城街道 only.
    let other = station.get(&format!("/children/{}", app.child_b)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let mut centre = app.login("centre").await;
    let page = centre.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&full_id));
    assert!(page.body.contains(DETAIL_A));
    assert!(page.body.contains("民发〔2019〕62号"));
    assert!(page.body.contains("人户分离"));
    assert!(page.body.contains("户籍.csv"));
    assert!(page.body.contains("身份证号有效，新建人员"));

    let audit = app
        .store
        .audit_log(Some(("person", &app.child_a.0.to_string())), 50, 0)
        .await
        .unwrap();
    assert_eq!(audit.iter().filter(|r| r.action == "child.view").count(), 3);
}

#[tokio::test]
async fn a_visit_with_a_photo_closes_the_alert() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let form = director.get(&uri).await;
    assert_eq!(form.status, StatusCode::OK);
    for id in [
        "id=\"visit-form\"",
        "id=\"gps-status\"",
        "id=\"photo\"",
        "name=\"photo\"",
        "capture=\"environment\"",
        "id=\"visit-submit\"",
        "name=\"aspect_focus\"",
        "家庭情况",
        "重点关注",
    ] {
        assert!(form.body.contains(id), "{id}");
    }
    let csrf = attribute_after(&form.body, "name=\"csrf_token\"", "value").unwrap();
    let page = director
        .post_multipart(&uri, &visit_parts(&csrf, Some(("image/png", TINY_PNG))))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location.unwrap();
    assert!(
        location.starts_with("/m/alerts?done=visit&visit="),
        "{location}"
    );
    let done = director.get(&location).await;
    assert!(done.body.contains("走访已记录"));

    let alert = app
        .store
        .alert_in_scope(
            &app.store
                .user_by_username("centre")
                .await
                .unwrap()
                .unwrap()
                .actor(),
            app.alert_a,
        )
        .await
        .unwrap();
    assert_eq!(alert.status, humiao_core::alert::AlertStatus::Closed);
    let visits = app.store.visits_of(app.child_a).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].photo_ids.len(), 1);
    assert_eq!(visits[0].aspect("家庭情况"), Some("家中整洁，祖母照料"));
    assert!(visits[0].flags.is_empty(), "{:?}", visits[0].flags);
    assert_eq!(visits[0].latitude, Some(30.2741));

    let mut centre = app.login("centre").await;
    let closed = centre.get("/centre/alerts?status=closed").await;
    assert_eq!(closed.status, StatusCode::OK);
    assert!(closed.body.contains(CHILD_A_NAME));
    assert!(closed.body.contains(DETAIL_A), "the centre sees the detail");
    let open = centre.get("/centre/alerts?status=open").await;
    assert!(!open.body.contains(CHILD_A_NAME));
    assert!(open.body.contains(CHILD_B_NAME));

    // The child page shows the visit and its photo.
    let child = director.get(&format!("/children/{}", app.child_a)).await;
    assert!(child
        .body
        .contains(&format!("/photos/{}", visits[0].photo_ids[0])));
    assert!(child.body.contains("村委会定期探望"));

    let audit = app.store.audit_log(None, 200, 0).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "visit.record"));
    assert!(audit.iter().any(|r| r.action == "child.view"));
    assert_eq!(
        app.store.verify_audit_chain().await.unwrap().first_broken,
        None
    );
}

#[tokio::test]
async fn a_bad_upload_is_explained_on_the_form_and_closes_nothing() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let csrf = director.csrf().await;

    // A GIF declared as PNG.
    let page = director
        .post_multipart(
            &uri,
            &visit_parts(&csrf, Some(("image/png", b"GIF89a\x01\x00"))),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("不是有效的JPEG、PNG或WebP图片"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("家中整洁，祖母照料"),
        "typed text is kept"
    );

    // A photo over 10 MB.
    let mut big = TINY_PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let page = director
        .post_multipart(&uri, &visit_parts(&csrf, Some(("image/png", &big))))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("超过10MB"));

    assert_eq!(
        app.store
            .count_alerts(humiao_core::alert::AlertStatus::Closed)
            .await
            .unwrap(),
        0
    );
    // Without a photo and without a position is fine.
    let parts: Vec<Part> = visit_parts(&csrf, None)
        .into_iter()
        .filter(|p| !matches!(p, Part::Text("lat" | "lon" | "accuracy", _)))
        .collect();
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

#[tokio::test]
async fn centre_pages_render_with_counts() {
    let app = TestApp::new().await;
    let mut centre = app.login("centre").await;
    let dash = centre.get("/centre").await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.body.contains("东城街道"));
    assert!(dash.body.contains("西山镇"));
    assert!(
        dash.body.contains("id=\"stat-children\">2<"),
        "{}",
        dash.body
    );
    assert!(dash.body.contains("id=\"stat-open\">2<"));

    let imports = centre.get("/imports").await;
    assert!(imports.body.contains("户籍.csv"));
    let batch_id = app.store.batches(None).await.unwrap()[0].id;
    let batch = centre.get(&format!("/imports/{batch_id}")).await;
    assert_eq!(batch.status, StatusCode::OK);
    assert_eq!(
        centre.get("/imports/9999").await.status,
        StatusCode::NOT_FOUND
    );

    let audit = centre.get("/audit").await;
    assert!(audit.body.contains("data-intact=\"true\""));

    let search = centre.get("/children?category=de_facto_unsupported").await;
    assert!(search.body.contains(CHILD_A_NAME));
    assert!(!search.body.contains(CHILD_B_NAME));
    let bad = centre.get("/centre/alerts?status=bogus").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_audit_page_reports_a_broken_chain() {
    let app = TestApp::new().await;
    app.store
        .audit(&AuditEntry {
            user_id: None,
            username: "x".into(),
            action: "test".into(),
            target_kind: String::new(),
            target_id: String::new(),
            detail: "original".into(),
        })
        .await
        .unwrap();
    app.store
        .execute_for_tests("UPDATE audit_log SET detail = 'edited' WHERE id = 1")
        .await;
    let mut auditor = app.login("auditor").await;
    let page = auditor.get("/audit").await;
    assert!(page.body.contains("data-intact=\"false\""));
}

#[tokio::test]
async fn assets_are_embedded_with_content_types_and_caching() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for (path, ty) in [
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.content_type.as_deref(), Some(ty));
        assert!(page.cache_control.unwrap().contains("max-age"));
    }
    assert_eq!(
        browser.get("/assets/missing.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn no_page_references_an_external_host() {
    let app = TestApp::new().await;
    let mut pages = Vec::new();
    pages.push(app.browser().get("/login").await.body);
    let child_a = format!("/children/{}", app.child_a);
    let visit = format!("/m/alerts/{}/visit", app.alert_a);
    for (user, uris) in [
        (
            "director_a",
            vec!["/m/alerts", "/m/children", "/children", &child_a, &visit],
        ),
        (
            "centre",
            vec![
                "/centre",
                "/centre/alerts",
                "/children",
                &child_a,
                "/imports",
                "/imports/1",
                "/audit",
                "/linking/review",
            ],
        ),
        ("admin", vec!["/admin/users"]),
        ("auditor", vec!["/audit", "/nope"]),
    ] {
        let mut b = app.login(user).await;
        for uri in uris {
            pages.push(b.get(uri).await.body);
        }
    }
    for css_or_js in ["/assets/app.css", "/assets/app.js"] {
        pages.push(app.browser().get(css_or_js).await.body);
    }
    for body in &pages {
        for needle in [
            "src=\"http",
            "href=\"http",
            "http://",
            "https://",
            "url(http",
        ] {
            assert!(!body.contains(needle), "{needle} in page:\n{body}");
        }
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let csrf = director.csrf().await;
    let req = director
        .request("POST", "/logout")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "csrf_token={csrf}&pad={}",
            "a".repeat(100 * 1024)
        )))
        .unwrap();
    let page = director.send(req).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn healthz_reports_an_unreachable_database() {
    let app = TestApp::new().await;
    app.store.close().await;
    let page = app.browser().get("/healthz").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["status"], "error");
}

#[tokio::test]
async fn a_visit_over_the_request_limit_is_refused_with_a_page() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let csrf = director.csrf().await;
    let mut big = TINY_PNG.to_vec();
    big.resize(41 * 1024 * 1024, 0);
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let page = director
        .post_multipart(&uri, &visit_parts(&csrf, Some(("image/png", &big))))
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("40MB"), "{}", page.body);
}

#[tokio::test]
async fn a_liaison_sees_only_their_departments_import_batches() {
    let app = TestApp::new().await;
    let justice = app
        .store
        .create_batch(&humiao_store::NewBatch {
            department: humiao_core::Department::Justice,
            record_kind: humiao_core::RecordKind::Custody,
            mapping_name: "司法".into(),
            file_name: "服刑人员.csv".into(),
            file_sha256: "x".into(),
            imported_by: "test".into(),
        })
        .await
        .unwrap();
    let police = app
        .store
        .batches(Some(humiao_core::Department::Police))
        .await
        .unwrap()[0]
        .id;
    let mut liaison = app.login("liaison").await;
    let list = liaison.get("/imports").await;
    assert!(list.body.contains("户籍.csv"));
    assert!(!list.body.contains("服刑人员.csv"));
    assert_eq!(
        liaison.get(&format!("/imports/{police}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        liaison.get(&format!("/imports/{justice}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut centre = app.login("centre").await;
    assert!(centre.get("/imports").await.body.contains("服刑人员.csv"));
}

#[tokio::test]
async fn the_child_page_shows_houses_and_household_as_far_as_the_role_may_see() {
    let app = TestApp::new().await;
    let counts = humiao_pipeline::derive_houses(&app.store).await.unwrap();
    assert!(counts.houses >= 1, "{counts:?}");
    let uri = format!("/children/{}", app.child_a);

    // The centre: the full dwelling, who else lives there, the household members.
    let mut centre = app.login("centre").await;
    let page = centre.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    let houses = page.body.split("id=\"houses\"").nth(1).unwrap();
    let houses = houses.split("</section>").next().unwrap();
    assert!(houses.contains("青石社区幸福路12号3幢201室"), "{houses}");
    assert!(
        houses.contains("王强"),
        "the father lives there too: {houses}"
    );
    assert!(houses.contains("household-members"));

    // The station sees the address only to the road and no household list.
    let mut station = app.login("station_a").await;
    let page = station.get(&uri).await;
    let houses = page.body.split("id=\"houses\"").nth(1).unwrap();
    let houses = houses.split("</section>").next().unwrap();
    assert!(!houses.contains("3幢201室"), "{houses}");
    assert!(!houses.contains("household-members"));
}

/// A director with more open alerts than a phone page holds gets them 40 a page, most urgent
/// first, with the count over all of them and links between pages; the plan pages the same way.
#[tokio::test]
async fn a_directors_long_lists_come_in_pages() {
    use humiao_core::alert::{AlertDraft, Severity};
    use humiao_store::{AssessmentWrite, NewAlert};
    let app = TestApp::new().await;
    let alerts: Vec<NewAlert> = (0..45)
        .map(|i| NewAlert {
            draft: AlertDraft {
                child: app.child_a,
                reason_code: format!("test:{i}"),
                trigger_key: format!("test:{i}"),
                severity: Severity::Medium,
                masked_message: "儿童保障情况发生变化，请尽快走访核实".into(),
                detail: format!("测试预警 {i}"),
                due: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                sources: vec![],
                police: false,
            },
            grid: Some(humiao_core::RegionCode::parse(GRID_A).unwrap()),
        })
        .collect();
    app.store
        .apply_assessment(&AssessmentWrite {
            as_of: today(),
            alerts,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut director = app.login("director_a").await;
    let first = director.get("/m/alerts").await;
    assert_eq!(first.status, StatusCode::OK);
    // The fixture's own open alert for child A, and the 45 above.
    assert!(
        first.body.contains("<strong id=\"open-count\">46</strong>"),
        "{}",
        first.body
    );
    let items = |body: &str| {
        body.split("id=\"alert-list\"").nth(1).map_or(0, |l| {
            l.split("</ul>").next().unwrap().matches("<li ").count()
        })
    };
    assert_eq!(items(&first.body), 40);
    assert!(
        first.body.contains("href=\"/m/alerts?page=2\""),
        "{}",
        first.body
    );
    assert!(first.body.contains("第 1 / 2 页"));
    let second = director.get("/m/alerts?page=2").await;
    assert_eq!(items(&second.body), 6);
    assert!(second.body.contains("id=\"pager-prev\" href=\"/m/alerts\""));
    assert!(!second.body.contains("id=\"pager-next\""));
    // Nonsense pages are the first page.
    let odd = director.get("/m/alerts?page=abc").await;
    assert_eq!(items(&odd.body), 40);

    // The plan: a short one has no pager.
    app.assess_national().await;
    let plan = director.get("/m/plan").await;
    assert_eq!(plan.status, StatusCode::OK);
    assert!(!plan.body.contains("id=\"pager\""), "{}", plan.body);
}
