//! The whole loop in a real browser on a phone-sized screen: a child director logs in, opens an
//! alert raised from the demo county's data, records a visit with GPS and a photo, and the
//! centre's alert list then shows the alert closed.

mod support;

use std::time::Duration;

use humiao_core::access::{Actor, Role};
use humiao_core::alert::AlertStatus;
use humiao_core::RegionCode;
use humiao_store::{AlertFilter, Store};
use support::cli::{serve, small_demo};
use support::webdriver::{Browser, BrowserOptions};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// An open alert of the demo county and the username of the director of its grid.
fn open_alert(data_dir: &std::path::Path) -> (i64, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", data_dir.join("humiao.db").display());
        let store = Store::connect(&url).await.unwrap();
        let centre = Actor {
            user_id: 0,
            username: "test".into(),
            role: Role::CentreStaff,
            jurisdiction: vec![RegionCode::parse("330199000000").unwrap()],
        };
        let alerts = store
            .list_alerts(
                &centre,
                &AlertFilter {
                    status: Some(AlertStatus::Open),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let alert = alerts
            .iter()
            .find(|a| a.grid.is_some())
            .expect("the demo raises alerts routed to grids");
        let grid = alert.grid.as_ref().unwrap().as_str().to_string();
        store.close().await;
        (alert.id, format!("director{}", &grid[6..12]))
    })
}

fn login(browser: &Browser, base: &str, username: &str) {
    browser.goto(&format!("{base}/login")).unwrap();
    browser
        .find("#username")
        .unwrap()
        .send_keys(username)
        .unwrap();
    browser
        .find("#password")
        .unwrap()
        .send_keys("Humiao@2026")
        .unwrap();
    browser.find("#login-submit").unwrap().click().unwrap();
    browser
        .wait_until(Duration::from_secs(10), "leaving the login page", || {
            Ok((!browser.current_url()?.contains("/login")).then_some(()))
        })
        .unwrap();
}

#[test]
fn a_director_records_a_visit_on_a_phone_and_the_centre_sees_the_alert_closed() {
    let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: true }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    let (alert_id, director) = open_alert(data);
    let (_server, base) = serve(data);
    let photo = data.join("visit.png");
    std::fs::write(&photo, PNG).unwrap();

    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        login(&browser, &base, &director);
        browser.goto(&format!("{base}/m/alerts")).unwrap();
        let item = format!("#alert-list li.alert-item[data-alert-id='{alert_id}']");
        browser.find(&item).unwrap();
        // The director is told that something changed, never what.
        let list_text = browser.find("#alert-list").unwrap().text().unwrap();
        for secret in ["服刑", "死亡", "离婚", "戒毒"] {
            assert!(!list_text.contains(secret), "alert list reveals {secret}");
        }

        browser.set_geolocation(30.2741, 120.1551, 12.0).unwrap();
        browser
            .find(&format!("{item} a.alert-visit"))
            .unwrap()
            .click()
            .unwrap();
        browser.find("#visit-form").unwrap();
        browser
            .wait_for_text("#gps-status", "已定位", Duration::from_secs(10))
            .unwrap();
        browser
            .find("#aspect-1")
            .unwrap()
            .send_keys("祖母照料，生活基本正常")
            .unwrap();
        browser
            .find("#aspect-6")
            .unwrap()
            .send_keys("需协助申请生活补贴")
            .unwrap();
        browser
            .find("#notes")
            .unwrap()
            .send_keys("已入户走访")
            .unwrap();
        browser
            .find("#photo")
            .unwrap()
            .send_keys(photo.to_str().unwrap())
            .unwrap();
        browser.find("#visit-submit").unwrap().click().unwrap();
        browser.find("#notice").unwrap();
        browser
            .find(&format!(
                "#closed-alert-list li.alert-item[data-alert-id='{alert_id}']"
            ))
            .unwrap();

        // The centre sees it closed.
        browser.find("#logout-button").unwrap().click().unwrap();
        browser.find("#login-form").unwrap();
        login(&browser, &base, "centre");
        browser
            .goto(&format!("{base}/centre/alerts?status=closed"))
            .unwrap();
        browser
            .wait_for_text(
                &format!("tr.alert-row[data-alert-id='{alert_id}']"),
                "已办结",
                Duration::from_secs(10),
            )
            .unwrap();
    }));
    if let Err(panic) = result {
        browser.dump(data, "e2e-failure");
        if let Ok(kept) = std::env::var("HUMIAO_KEEP_FAILURES") {
            let _ = std::fs::create_dir_all(&kept);
            for name in ["e2e-failure.png", "e2e-failure.html"] {
                let _ = std::fs::copy(data.join(name), std::path::Path::new(&kept).join(name));
            }
        }
        std::panic::resume_unwind(panic);
    }

    // The visit is stored with its position and photo.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", data.join("humiao.db").display());
        let store = Store::connect(&url).await.unwrap();
        let centre = Actor {
            user_id: 0,
            username: "test".into(),
            role: Role::CentreStaff,
            jurisdiction: vec![RegionCode::parse("330199000000").unwrap()],
        };
        let alert = store.alert_in_scope(&centre, alert_id).await.unwrap();
        assert_eq!(alert.status, AlertStatus::Closed);
        let visits = store.visits_of(alert.person_id).await.unwrap();
        let visit = visits
            .iter()
            .find(|v| v.alert_id == Some(alert_id))
            .unwrap();
        assert_eq!(visit.photo_ids.len(), 1);
        assert!((visit.latitude.unwrap() - 30.2741).abs() < 1e-6);
        assert_eq!(visit.aspects.values().filter(|v| !v.is_empty()).count(), 2);
        let photo = store
            .photo_in_scope(&centre, visit.photo_ids[0])
            .await
            .unwrap();
        assert_eq!(photo.bytes, PNG);
        store.close().await;
    });
}

#[test]
fn the_centre_reviews_a_doubtful_pair_in_a_browser_and_the_next_link_run_joins_it() {
    let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: false }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    let (_server, base) = serve(data);

    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        login(&browser, &base, "centre");
        browser.goto(&format!("{base}/linking/review")).unwrap();
        let total: usize = browser
            .find("#review-total")
            .unwrap()
            .text()
            .unwrap()
            .parse()
            .unwrap();
        assert!(total >= 1, "the demo leaves a doubtful pair for review");
        let row = browser.find("#review-list tr.review-row").unwrap();
        let (a, b) = (
            row.attr("data-a").unwrap().unwrap(),
            row.attr("data-b").unwrap().unwrap(),
        );
        browser
            .find("#review-list tr.review-row a.review-open")
            .unwrap()
            .click()
            .unwrap();
        // The field-by-field comparison, then the clerk's conclusion.
        browser.find("#pair-explanation").unwrap();
        let table = browser.find("#pair-explanation").unwrap().text().unwrap();
        for field in ["姓名", "出生日期"] {
            assert!(table.contains(field), "{field} missing: {table}");
        }
        browser
            .find("#decision-note")
            .unwrap()
            .send_keys("同一学生，学籍补录时姓名同音误写")
            .unwrap();
        browser.find("#decide-same").unwrap().click().unwrap();
        browser
            .wait_until(Duration::from_secs(10), "back on the queue", || {
                Ok(browser
                    .current_url()?
                    .contains("/linking/review")
                    .then_some(()))
            })
            .unwrap();
        let left: usize = browser
            .find("#review-total")
            .unwrap()
            .text()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(left, total - 1);
        // Reopening the pair shows the recorded conclusion.
        browser
            .goto(&format!("{base}/linking/pair?a={a}&b={b}"))
            .unwrap();
        browser
            .wait_for_text("#pair-decided", "同一人", Duration::from_secs(10))
            .unwrap();
        (a, b)
    }));
    let (a, b) = match result {
        Ok(pair) => pair,
        Err(panic) => {
            browser.dump(data, "e2e-review-failure");
            std::panic::resume_unwind(panic);
        }
    };
    drop(browser);

    // The next linking run puts both records in one person.
    support::cli::humiao_ok(data, &["link"]);
    let export = data.join("links.csv");
    support::cli::humiao_ok(data, &["link", "--export", export.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&export).unwrap();
    let person_of = |key: &str| {
        let record = key.strip_suffix(":subject").unwrap_or(key);
        csv.lines()
            .find_map(|l| l.split_once(',').filter(|(r, _)| *r == record))
            .map(|(_, p)| p.to_string())
            .unwrap()
    };
    assert_eq!(person_of(&a), person_of(&b));
}
