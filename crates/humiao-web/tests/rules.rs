//! Rule packs in the web UI: only the centre reads, uploads and activates them; a broken upload
//! names file, line and column; a valid one is compared with the pack in force over the county
//! before it can be activated, and the activation is audited.

mod support;

use axum::http::StatusCode;
use support::*;

/// A local rule (for the test): one parent in custody is enough for 事实无人抚养.
const LOCAL: &str = "[pack]\nname = \"huxian\"\nversion = \"2026.2\"\nextends = \"national\"\n\n\
[categories.de_facto_unsupported]\npolicy = \"本县试行\"\nwhen = \"age < adult_age and (father.custody or mother.custody)\"\n";

const BROKEN: &str = "[pack]\nname = \"huxian\"\nversion = \"2026.2\"\nextends = \"national\"\n\n\
[categories.orphan]\npolicy = \"p\"\nwhen = \"age < adult_age and fathr.dead\"\n";

fn upload<'a>(csrf: &str, file_name: &'a str, text: &'a str) -> Vec<Part<'a>> {
    vec![
        Part::Text("csrf_token", csrf.to_string()),
        Part::File {
            name: "pack",
            file_name,
            content_type: "application/toml",
            bytes: text.as_bytes(),
        },
    ]
}

#[tokio::test]
async fn only_the_centre_sees_uploads_and_activates_rule_packs() {
    let app = TestApp::new().await;
    for user in ["director_a", "station_a", "liaison", "auditor", "admin"] {
        let mut b = app.login(user).await;
        assert_eq!(
            b.get("/centre/rules").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        let csrf = b.csrf().await;
        let page = b
            .post_multipart("/centre/rules/preview", &upload(&csrf, "local.toml", LOCAL))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        let page = b
            .post_form("/centre/rules/activate", &[("csrf_token", &csrf)])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
    }
    assert!(app.store.setting("rules.active").await.unwrap().is_none());
}

/// Child A's father has been in prison since 2026-03-01 (a fact from the first source record).
async fn father_in_custody(app: &TestApp) {
    use humiao_core::fact::{Fact, FactKind};
    use humiao_core::records::CustodyMeasure;
    let source = app.store.linkable_records().await.unwrap()[0].id;
    let mut w = app.store.link_writer().await.unwrap();
    w.add_fact(&Fact {
        person: app.father,
        kind: FactKind::Custody {
            measure: CustodyMeasure::Imprisonment,
        },
        valid_from: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
        valid_to: chrono::NaiveDate::from_ymd_opt(2028, 3, 1),
        source,
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
}

#[tokio::test]
async fn a_pack_is_validated_compared_and_then_activated_with_an_audit_trail() {
    let app = TestApp::new().await;
    father_in_custody(&app).await;
    let mut centre = app.login("centre").await;

    // The pack in force: the national one, its parameters and rules on view.
    let page = centre.get("/centre/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("national 2026.1"), "{}", page.body);
    assert!(page.body.contains("father.dead and mother.dead"));
    assert!(page.body.contains("国办发〔2010〕54号"));
    assert!(page.body.contains("规则包"));

    // Activating with nothing uploaded is refused.
    let csrf = centre.csrf().await;
    let page = centre
        .post_form("/centre/rules/activate", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // A broken pack: the problem with file, line and column; nothing pending.
    let page = centre
        .post_multipart(
            "/centre/rules/preview",
            &upload(&csrf, "local.toml", BROKEN),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"pack-errors\""));
    assert!(
        page.body
            .contains("local.toml:8:29: 类别 orphan：“fathr”不是人员"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("pack-activate"));
    // Without a file.
    let page = centre
        .post_multipart(
            "/centre/rules/preview",
            &[Part::Text("csrf_token", csrf.clone())],
        )
        .await;
    assert!(page.body.contains("请选择至少一个规则包文件"));

    // A valid pack: a dry run over the county, then activation.
    let page = centre
        .post_multipart("/centre/rules/preview", &upload(&csrf, "local.toml", LOCAL))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("校验通过：huxian 2026.2"),
        "{}",
        page.body
    );
    // Child A's father is in prison: only 服刑人员未成年子女 under the national pack (the mother
    // is unknown), also 事实无人抚养 (and so 困境儿童) under the local rule.
    assert!(page.body.contains("id=\"diff-children\""), "{}", page.body);
    let row = page.body.split("class=\"diff-child\"").nth(1).unwrap();
    let cells: Vec<&str> = row.split("<td>").collect();
    assert!(row.contains(CHILD_A_NAME), "{row}");
    assert!(cells[2].starts_with("服刑人员未成年子女<"), "{row}");
    assert!(cells[3].contains("事实无人抚养儿童"), "{row}");
    assert!(app.store.setting("rules.active").await.unwrap().is_none());

    let page = centre
        .post_form("/centre/rules/activate", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = centre.get(page.location.as_deref().unwrap()).await;
    assert!(
        page.body.contains("已启用规则包 huxian 2026.2"),
        "{}",
        page.body
    );
    assert!(page.body.contains("national 2026.1 + huxian 2026.2"));
    assert!(page.body.contains("由 centre 启用"));
    let audit = app
        .store
        .audit_log(Some(("rule_pack", "huxian 2026.2")), 10, 0)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"rules.activate"), "{actions:?}");
    assert!(actions.contains(&"rules.preview"), "{actions:?}");
    let pack = humiao_pipeline::active_pack(&app.store).await.unwrap();
    assert_eq!(pack.name, "huxian");
}

#[tokio::test]
async fn the_child_page_evaluates_the_rule_pack_and_says_what_is_missing() {
    let app = TestApp::new().await;
    father_in_custody(&app).await;
    // An assessment stores the risk outcome; the page lists it.
    app.assess_national().await;
    let uri = format!("/children/{}", app.child_a);
    let mut centre = app.login("centre").await;
    let page = centre.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    let section = page.body.split("id=\"rule-assessment\"").nth(1).unwrap();
    let section = section.split("</section>").next().unwrap();
    assert!(section.contains("national 2026.1"), "{section}");
    // Father in prison, mother unknown to the data: 事实无人抚养 cannot be decided, and why.
    assert!(section.contains("事实无人抚养儿童"), "{section}");
    assert!(section.contains("母亲身份不明"), "{section}");
    assert!(section.contains("父亲服刑在押"), "{section}");
    assert!(
        section.contains("户籍.csv"),
        "the fact's source record: {section}"
    );
    // Directors and stations do not get the evaluation.
    for user in ["director_a", "station_a"] {
        let mut b = app.login(user).await;
        let page = b.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("rule-assessment"), "{user}");
    }
}

#[tokio::test]
async fn lists_show_the_risk_level_and_hide_categories_that_disclose_a_fact() {
    let app = TestApp::new().await;
    father_in_custody(&app).await;
    app.assess_national().await;
    let item = |body: &str| -> String {
        let marker = format!("data-person-id=\"{}\"", app.child_a);
        let item = body
            .split(&marker)
            .nth(1)
            .unwrap_or_else(|| panic!("{body}"));
        item.split("</li>").next().unwrap().to_string()
    };
    // The centre reads the category; everyone who sees the child sees the risk level.
    let mut centre = app.login("centre").await;
    let page = centre.get("/children").await;
    let row = item(&page.body);
    assert!(row.contains("服刑人员未成年子女"), "{row}");
    assert!(row.contains("badge risk risk-"), "{row}");
    let page = centre.get("/children?category=prisoners_child").await;
    assert!(page
        .body
        .contains(&format!("data-person-id=\"{}\"", app.child_a)));

    // The director and the station may not see reasons: a neutral name, also in the HTML.
    let mut director = app.login("director_a").await;
    let page = director.get("/m/children").await;
    let row = item(&page.body);
    assert!(row.contains("需重点关注"), "{row}");
    assert!(row.contains("badge risk risk-"), "{row}");
    assert!(!page.body.contains("服刑"), "{row}");
    assert!(!page.body.contains("prisoners_child"), "{row}");

    let mut station = app.login("station_a").await;
    let page = station.get("/children").await;
    assert!(!page.body.contains("prisoners_child"));
    assert!(!page.body.contains("服刑人员未成年子女"));
    let page = station.get("/children?category=prisoners_child").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("无权按该类别查询"), "{}", page.body);
}

/// The visit form asks the pack's visit-fed risk indicators; what the director sees is stored
/// with the visit and re-assesses the child at once: domestic violence (an urgent item) makes
/// the child 极危 and alerts the director, and the centre's page names the visit.
#[tokio::test]
async fn what_a_visit_observes_feeds_the_risk_model_at_once() {
    let app = TestApp::new().await;
    let mut director = app.login("director_a").await;
    let uri = format!("/m/alerts/{}/visit", app.alert_a);
    let form = director.get(&uri).await;
    assert!(form.body.contains("风险观察：综合风险"), "{}", form.body);
    assert!(form
        .body
        .contains("name=\"obs__general__domestic_violence\""));
    assert!(form.body.contains("家庭暴力或虐待记录"));
    let csrf = attribute_after(&form.body, "name=\"csrf_token\"", "value").unwrap();

    // An indicator the pack does not have is refused on the form, and nothing is saved.
    let mut parts = visit_parts(&csrf, None);
    parts.push(Part::Text("obs__general__no_such_thing", "yes".into()));
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("不在当前规则包中"), "{}", page.body);
    assert!(app.store.visits_of(app.child_a).await.unwrap().is_empty());

    let mut parts = visit_parts(&csrf, None);
    parts.push(Part::Text("obs__general__domestic_violence", "yes".into()));
    parts.push(Part::Text("obs__general__mental_health_signs", "no".into()));
    parts.push(Part::Text("obs__general__offending", String::new()));
    let page = director.post_multipart(&uri, &parts).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let history = app.store.risk_history(app.child_a).await.unwrap();
    assert_eq!(history.len(), 1, "re-assessed after the visit");
    assert_eq!(history[0].level_label, "极危");
    assert!(history[0].detail_json.contains("家庭暴力或虐待记录"));
    let alerts = app
        .store
        .list_alerts(
            &app.store
                .user_by_username("director_a")
                .await
                .unwrap()
                .unwrap()
                .actor(),
            &humiao_store::AlertFilter {
                status: Some(humiao_core::alert::AlertStatus::Open),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let risk = alerts
        .iter()
        .find(|a| a.person_id == app.child_a && a.reason_code.starts_with("risk:"))
        .expect("a risk alert for the child");
    assert!(
        risk.masked_message.contains("极危"),
        "{}",
        risk.masked_message
    );

    // The centre's page shows the level and names the visit behind the indicator.
    let mut centre = app.login("centre").await;
    let page = centre.get(&format!("/children/{}", app.child_a)).await;
    let section = page.body.split("id=\"rule-assessment\"").nth(1).unwrap();
    assert!(section.contains("极危"), "{section}");
    assert!(section.contains("走访（记录#"), "{section}");
    assert!(section.contains("发现：家庭暴力或虐待记录"), "{section}");
}

/// A director (or the centre) sets a child's level with a reason; it is kept, audited and shown
/// in lists until the model's own level changes. Stations cannot, nor directors elsewhere.
#[tokio::test]
async fn a_director_overrides_a_level_with_a_reason_until_the_model_changes() {
    let app = TestApp::new().await;
    father_in_custody(&app).await;
    let params = humiao_core::alert::AlertParams::default();
    app.assess_national().await;
    let computed = app.store.risk_history(app.child_a).await.unwrap()[0]
        .level_label
        .clone();
    let page_uri = format!("/children/{}", app.child_a);
    let post_uri = format!("/children/{}/risk-override", app.child_a);

    let mut director = app.login("director_a").await;
    let page = director.get(&page_uri).await;
    assert!(page.body.contains("id=\"risk-override\""), "{}", page.body);
    let csrf = director.csrf().await;
    // A reason is required.
    let refused = director
        .post_form(
            &post_uri,
            &[
                ("csrf_token", &csrf),
                ("model", "general"),
                ("level", "high"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let done = director
        .post_form(
            &post_uri,
            &[
                ("csrf_token", &csrf),
                ("model", "general"),
                ("level", "high"),
                ("reason", "走访发现母亲长期不在家，儿童独自生活"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = director.get(&page_uri).await;
    let section = page.body.split("id=\"risk-override\"").nth(1).unwrap();
    let section = section.split("</section>").next().unwrap();
    assert!(section.contains("人工调整为"), "{section}");
    assert!(
        section.contains("id=\"effective-level\">高危<"),
        "{section}"
    );
    assert!(
        section.contains("儿童独自生活") && section.contains(&computed),
        "{section}"
    );
    let list = director.get("/m/children").await;
    assert!(list.body.contains("高危（人工）"), "{}", list.body);
    let audit = app
        .store
        .audit_log(Some(("person", &app.child_a.0.to_string())), 20, 0)
        .await
        .unwrap();
    assert!(audit.iter().any(|r| r.action == "risk.override"
        && r.username == "director_a"
        && r.detail.contains("儿童独自生活")));

    // Stations may look but not set; a director elsewhere does not see the child at all.
    let mut station = app.login("station_a").await;
    let csrf_s = station.csrf().await;
    let form = [
        ("csrf_token", csrf_s.as_str()),
        ("model", "general"),
        ("level", "low"),
        ("reason", "不同意"),
    ];
    assert_eq!(
        station.post_form(&post_uri, &form).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!station
        .get(&page_uri)
        .await
        .body
        .contains("id=\"risk-override\""));
    let mut other = app.login("director_b").await;
    let csrf_b = other.csrf().await;
    let form = [
        ("csrf_token", csrf_b.as_str()),
        ("model", "general"),
        ("level", "low"),
        ("reason", "不同意调整"),
    ];
    assert_eq!(
        other.post_form(&post_uri, &form).await.status,
        StatusCode::NOT_FOUND
    );

    // The model's level changes (a county rating more strictly): the override lapses, and is
    // kept in the history.
    let strict = humiao_pipeline::StoredPack::over_national(vec![humiao_pipeline::PackFile {
        file: "strict.toml".into(),
        text: "[pack]\nname = \"strict\"\nversion = \"1\"\nextends = \"national\"\n\n\
               [risk.general]\nlevels = [\n  { code = \"extreme\", label = \"极危\", min = 90, colour = \"red\" },\n\
               { code = \"high\", label = \"高危\", min = 1, colour = \"red\" },\n\
               { code = \"low\", label = \"低危\", min = 0, colour = \"green\" },\n]\n"
            .into(),
    }])
    .compile()
    .unwrap();
    humiao_pipeline::assess_all(
        &app.store,
        today() + chrono::Duration::days(1),
        &strict,
        &params,
    )
    .await
    .unwrap();
    let list = director.get("/m/children").await;
    assert!(!list.body.contains("（人工）"), "{}", list.body);
    let page = director.get(&page_uri).await;
    assert!(page.body.contains("已失效"), "{}", page.body);
    assert!(!page.body.contains("id=\"effective-level\""));
}

/// The director's visit plan follows the pack's frequencies (高危: every 30 days) and the last
/// visit; the station's supervision counts overdue visits per grid without naming children.
#[tokio::test]
async fn visit_plans_follow_the_frequencies_and_supervision_counts_overdue_visits() {
    let app = TestApp::new().await;
    father_in_custody(&app).await;
    app.assess_national().await;
    let director = app
        .store
        .user_by_username("director_a")
        .await
        .unwrap()
        .unwrap()
        .actor();
    let mut b = app.login("director_a").await;
    // Set on the child's page: the level sets how often the child is visited.
    let csrf = b.csrf().await;
    let done = b
        .post_form(
            &format!("/children/{}/risk-override", app.child_a),
            &[
                ("csrf_token", &csrf),
                ("model", "general"),
                ("level", "high"),
                ("reason", "父亲入狱后无人照看"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // Last visited 40 days ago: 10 days overdue at one visit every 30 days.
    let visited = today() - chrono::Duration::days(40);
    app.store
        .record_visit(
            &director,
            &humiao_store::NewVisit {
                person: app.child_a,
                alert_id: None,
                visited_at: visited.and_hms_opt(2, 0, 0).unwrap().and_utc(),
                latitude: None,
                longitude: None,
                accuracy_m: None,
                aspects: Vec::new(),
                notes: String::new(),
                photos: Vec::new(),
                observations: Vec::new(),
                observed_on: visited,
                checks: humiao_rules::visit::check_params(&humiao_rules::national(), visited),
                client_id: None,
            },
        )
        .await
        .unwrap();

    let page = b.get("/m/plan").await;
    assert_eq!(page.status, StatusCode::OK);
    let row = page
        .body
        .split(&format!("data-person-id=\"{}\"", app.child_a))
        .nth(1)
        .unwrap_or_else(|| panic!("{}", page.body));
    let row = row.split("</li>").next().unwrap();
    assert!(row.contains("已逾期10天"), "{row}");
    assert!(row.contains("每30天（高危）"), "{row}");
    assert!(
        row.contains(&visited.format("%Y-%m-%d").to_string()),
        "{row}"
    );
    assert!(
        page.body.contains("已逾期 <strong>1</strong> 名"),
        "{}",
        page.body
    );
    let other = app.login("director_b").await.get("/m/plan").await;
    assert!(!other.body.contains(CHILD_A_NAME));

    let mut station = app.login("station_a").await;
    let page = station.get("/centre/visits").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("已逾期 <strong>1</strong> 名"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(CHILD_A_NAME), "counts only");
    assert_eq!(b.get("/centre/visits").await.status, StatusCode::FORBIDDEN);
}
