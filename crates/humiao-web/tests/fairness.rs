//! The fairness and quality report: only the centre reads or exports it; it counts levels and
//! categories by group and flags indicators that fire for no one; exports are an Excel workbook.

mod support;

use axum::http::StatusCode;
use support::*;

#[tokio::test]
async fn only_the_centre_reads_the_fairness_report() {
    let app = TestApp::new().await;
    for user in ["director_a", "station_a", "liaison", "auditor", "admin"] {
        let mut b = app.login(user).await;
        for uri in ["/centre/fairness", "/centre/fairness.xlsx"] {
            assert_eq!(
                b.get(uri).await.status,
                StatusCode::FORBIDDEN,
                "{user} {uri}"
            );
        }
    }
}

#[tokio::test]
async fn the_report_counts_groups_flags_indicators_and_exports_a_workbook() {
    let app = TestApp::new().await;
    app.assess_national().await;
    let mut centre = app.login("centre").await;
    let page = centre.get("/centre/fairness").await;
    assert_eq!(page.status, StatusCode::OK);
    // The fixture's two children, by sex, age band and registration.
    assert!(
        page.body.contains("id=\"fairness-children\">2<"),
        "{}",
        page.body
    );
    let groups = page.body.split("id=\"fairness-groups\"").nth(1).unwrap();
    for want in [
        "性别",
        "年龄段",
        "户籍",
        "本县户籍、人户分离",
        "乡镇（街道）",
    ] {
        assert!(groups.contains(want), "{want}");
    }
    let indicators = page
        .body
        .split("id=\"fairness-indicators\"")
        .nth(1)
        .unwrap();
    assert!(indicators.contains("尚无走访数据"), "visit-fed indicators");
    assert!(
        indicators.contains("无人触发"),
        "data indicators nobody meets"
    );
    // No child is named.
    assert!(!page.body.contains(CHILD_A_NAME) && !page.body.contains(CHILD_B_NAME));

    let export = centre.get("/centre/fairness.xlsx").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.bytes.starts_with(b"PK"), "an xlsx is a zip");
    let audit = app
        .store
        .audit_log(Some(("report", "fairness")), 10, 0)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
}
