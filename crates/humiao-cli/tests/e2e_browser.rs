//! The whole loop in a real browser on a phone-sized screen: a child director logs in, opens an
//! alert raised from the demo county's data, records a visit with GPS and a photo, and the
//! centre's alert list then shows the alert closed. Then the same on a phone that loses its
//! connection: the pages open from the phone, the visit waits in the phone's queue, and syncs
//! once when the server can be reached again.

mod support;

use std::time::Duration;

use humiao_core::access::{Actor, Role};
use humiao_core::alert::AlertStatus;
use humiao_core::RegionCode;
use humiao_store::{AlertFilter, Store};
use support::cli::{serve, serve_at, small_demo};
use support::webdriver::{Browser, BrowserOptions, WdResult};

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

/// Types `text` into the field `css`.
fn type_in(browser: &Browser, css: &str, text: &str) {
    browser.find(css).unwrap().send_keys(text).unwrap();
}

fn login(browser: &Browser, base: &str, username: &str) {
    browser.goto(&format!("{base}/login")).unwrap();
    type_in(browser, "#username", username);
    type_in(browser, "#password", "Humiao@2026");
    browser.find("#login-submit").unwrap().click().unwrap();
    browser
        .wait_until(Duration::from_secs(10), "leaving the login page", || {
            Ok((!browser.current_url()?.contains("/login")).then_some(()))
        })
        .unwrap();
}

/// Submits the visit form and waits for 我的预警 to say it is saved, with the alert closed.
/// Compressing the photo, queueing, syncing and re-assessing are slow on a busy CI machine.
fn submit_and_see_closed(browser: &Browser, alert_id: i64) {
    browser.find("#visit-submit").unwrap().click().unwrap();
    browser
        .find_within("#notice", Duration::from_secs(40))
        .unwrap();
    browser
        .find(&format!(
            "#closed-alert-list li.alert-item[data-alert-id='{alert_id}']"
        ))
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
        type_in(&browser, "#aspect-1", "祖母照料，生活基本正常");
        type_in(&browser, "#aspect-6", "需协助申请生活补贴");
        type_in(&browser, "#notes", "已入户走访");
        type_in(&browser, "#photo", photo.to_str().unwrap());
        submit_and_see_closed(&browser, alert_id);

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
        assert_eq!(
            visit.aspects.iter().filter(|a| !a.text.is_empty()).count(),
            2
        );
        let photo = store
            .photo_in_scope(&centre, visit.photo_ids[0])
            .await
            .unwrap();
        assert_eq!(photo.bytes, PNG);
        store.close().await;
    });
}

#[test]
fn a_visit_is_posted_as_it_is_when_the_phones_database_does_not_open() {
    let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: true }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    let (alert_id, director) = open_alert(data);
    let (_server, base) = serve(data);

    login(&browser, &base, &director);
    // Some phones' IndexedDB never answers: an open request that fires no event.
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": "indexedDB.open = function () { return {}; };" }),
        )
        .unwrap();
    browser
        .goto(&format!("{base}/m/alerts/{alert_id}/visit"))
        .unwrap();
    browser.find("#visit-form").unwrap();
    type_in(&browser, "#aspect-1", "祖母照料，生活基本正常");
    // The phone gives up on its database and posts the form itself: the visit is not lost.
    submit_and_see_closed(&browser, alert_id);
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
        type_in(
            &browser,
            "#decision-note",
            "同一学生，学籍补录时姓名同音误写",
        );
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

/// A photo-sized PNG (`width`×`height`, RGB, stored without compression so no codec is
/// needed here), as a phone's camera roll might hold.
fn photo_png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(table: &[u32; 256], bytes: &[u8]) -> u32 {
        !bytes.iter().fold(!0u32, |crc, b| {
            table[((crc ^ u32::from(*b)) & 0xff) as usize] ^ (crc >> 8)
        })
    }
    let mut table = [0u32; 256];
    for (n, entry) in table.iter_mut().enumerate() {
        *entry = (0..8).fold(n as u32, |c, _| {
            if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            }
        });
    }
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend_from_slice(&[
                (x * 255 / width) as u8,
                (y * 255 / height) as u8,
                ((x / 8 + y / 8) % 2 * 160) as u8,
            ]);
        }
    }
    // zlib with stored deflate blocks.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (a, b) = raw.iter().fold((1u32, 0u32), |(a, b), x| {
        let a = (a + u32::from(*x)) % 65_521;
        (a, (b + a) % 65_521)
    });
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&table, &body).to_be_bytes());
    };
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(b"IHDR", &header);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    png
}

/// Width and height of a baseline or progressive JPEG, from its SOF segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if (0xC0..=0xC2).contains(&marker) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        i += 2 + len;
    }
    None
}

/// Runs an async script (a promise) in the page and returns its value.
fn script(browser: &Browser, js: &str) -> WdResult<serde_json::Value> {
    browser.execute(js, &[])
}

#[test]
fn a_director_records_a_visit_offline_and_it_syncs_once_when_the_connection_returns() {
    let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: true }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    let (alert_id, director) = open_alert(data);
    let (server, base) = serve(data);
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let photo = data.join("IMG_0001.png");
    let png = photo_png(2000, 1500);
    std::fs::write(&photo, &png).unwrap();
    let visit_path = format!("/m/alerts/{alert_id}/visit");

    let mut server = Some(server);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        login(&browser, &base, &director);
        browser.goto(&format!("{base}/m/alerts")).unwrap();
        // The service worker installs; pages opened from then on go through it.
        script(
            &browser,
            "return navigator.serviceWorker.ready.then(function (r) { return r.active.state; });",
        )
        .unwrap();
        // Online, the director opens the alerts and the visit form: kept on the phone.
        browser.set_geolocation(30.2741, 120.1551, 12.0).unwrap();
        browser.goto(&format!("{base}/m/alerts")).unwrap();
        let controlled = "return !!navigator.serviceWorker.controller;";
        browser
            .wait_until(Duration::from_secs(10), "the service worker", || {
                Ok(script(&browser, controlled)?
                    .as_bool()
                    .unwrap_or(false)
                    .then_some(()))
            })
            .unwrap();
        let item = format!("#alert-list li.alert-item[data-alert-id='{alert_id}']");
        browser
            .find(&format!("{item} a.alert-visit"))
            .unwrap()
            .click()
            .unwrap();
        browser.find("#visit-form").unwrap();
        let kept = format!(
            "return caches.open('humiao-pages').then(function (c) {{ return Promise.all([\
             c.match('/m/alerts'), c.match('{visit_path}')]); }})\
             .then(function (r) {{ return !!(r[0] && r[1]); }});"
        );
        browser
            .wait_until(
                Duration::from_secs(10),
                "the pages kept on the phone",
                || {
                    Ok(script(&browser, &kept)?
                        .as_bool()
                        .unwrap_or(false)
                        .then_some(()))
                },
            )
            .unwrap();

        // The connection goes away: nothing answers any more (navigator.onLine stays true,
        // as on a poor signal).
        drop(server.take());
        browser.goto(&format!("{base}/m/alerts")).unwrap();
        browser
            .wait_for_text(
                "#offline-banner",
                "离线模式：显示的是上次同步的内容",
                Duration::from_secs(10),
            )
            .unwrap();
        browser
            .find(&format!("{item} a.alert-visit"))
            .unwrap()
            .click()
            .unwrap();
        browser.find("#visit-form").unwrap();
        browser
            .wait_for_text("#offline-banner", "离线模式", Duration::from_secs(10))
            .unwrap();
        browser
            .wait_for_text("#gps-status", "已定位", Duration::from_secs(10))
            .unwrap();
        type_in(&browser, "#aspect-1", "祖母照料，生活基本正常");
        type_in(&browser, "#notes", "信号不好，离线记录");
        type_in(&browser, "#photo", photo.to_str().unwrap());
        browser.find("#visit-submit").unwrap().click().unwrap();
        browser
            .wait_for_text("#sync-count", "待同步 1 条", Duration::from_secs(30))
            .unwrap();
        browser
            .wait_for_text("#visit-queued", "已保存在本机", Duration::from_secs(10))
            .unwrap();
        browser
            .wait_for_text("#sync-status", "无法连接服务器", Duration::from_secs(10))
            .unwrap();
        // Keep a copy of the queued visit, photo and all, to replay it later.
        let stashed = script(
            &browser,
            "return new Promise(function (resolve, reject) {\
               var open = indexedDB.open('humiao-offline');\
               open.onerror = function () { reject(open.error); };\
               open.onsuccess = function () {\
                 var get = open.result.transaction('queue').objectStore('queue').getAll();\
                 get.onsuccess = function () {\
                   window.humiaoReplay = get.result;\
                   resolve(get.result.map(function (i) {\
                     return [i.photos.length, i.photos[0].type, i.photos[0].blob.size];\
                   }));\
                 };\
               };\
             });",
        )
        .unwrap();
        let stashed = stashed.as_array().unwrap();
        assert_eq!(stashed.len(), 1, "{stashed:?}");
        assert_eq!(stashed[0][0], 1);
        // Compressed on the phone: a JPEG far smaller than the original.
        assert_eq!(stashed[0][1], "image/jpeg", "{stashed:?}");
        assert!(stashed[0][2].as_u64().unwrap() < png.len() as u64 / 4);

        // The connection returns: the same server, port and database.
        server = Some(serve_at(data, port).0);
        browser.find("#sync-now").unwrap().click().unwrap();
        browser
            .wait_for_text("#sync-status", "已同步 1 条走访", Duration::from_secs(30))
            .unwrap();
        browser
            .wait_for_text("#sync-count", "待同步 0 条", Duration::from_secs(10))
            .unwrap();
        browser
            .wait_for_text(
                "#visit-queued",
                "这条走访已同步到服务器",
                Duration::from_secs(10),
            )
            .unwrap();
        browser
            .wait_for_text("#offline-banner", "已恢复连接", Duration::from_secs(10))
            .unwrap();

        // The same visit sent again (a replay): the server already has it.
        script(
            &browser,
            "return new Promise(function (resolve, reject) {\
               var open = indexedDB.open('humiao-offline');\
               open.onsuccess = function () {\
                 var tx = open.result.transaction('queue', 'readwrite');\
                 window.humiaoReplay.forEach(function (i) { tx.objectStore('queue').put(i); });\
                 tx.oncomplete = function () {\
                   window.humiao.offline.render().then(function () { resolve(true); });\
                 };\
                 tx.onerror = function () { reject(tx.error); };\
               };\
             });",
        )
        .unwrap();
        browser.find("#sync-now").unwrap().click().unwrap();
        browser
            .wait_for_text(
                "#sync-status",
                "1 条此前已同步，未重复保存",
                Duration::from_secs(30),
            )
            .unwrap();
        browser
            .wait_for_text("#sync-count", "待同步 0 条", Duration::from_secs(10))
            .unwrap();
        // Online again, the alerts page comes from the server, without the offline banner.
        browser
            .goto(&format!("{base}/m/alerts?done=visit"))
            .unwrap();
        browser
            .find(&format!(
                "#closed-alert-list li.alert-item[data-alert-id='{alert_id}']"
            ))
            .unwrap();
        let banner = browser.find("#offline-banner").unwrap().text().unwrap();
        assert!(banner.is_empty(), "banner shown online: {banner}");
    }));
    if let Err(panic) = result {
        browser.dump(data, "e2e-offline-failure");
        if let Ok(kept) = std::env::var("HUMIAO_KEEP_FAILURES") {
            let _ = std::fs::create_dir_all(&kept);
            for name in ["e2e-offline-failure.png", "e2e-offline-failure.html"] {
                let _ = std::fs::copy(data.join(name), std::path::Path::new(&kept).join(name));
            }
        }
        std::panic::resume_unwind(panic);
    }
    drop(server);

    // Exactly one visit answers the alert, with one photo, compressed on the phone; the
    // alert is closed.
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
        let answering: Vec<_> = visits
            .iter()
            .filter(|v| v.alert_id == Some(alert_id))
            .collect();
        assert_eq!(answering.len(), 1, "{visits:?}");
        let visit = answering[0];
        assert_eq!(visit.photo_ids.len(), 1);
        assert_eq!(visit.notes, "信号不好，离线记录");
        assert!((visit.latitude.unwrap() - 30.2741).abs() < 1e-6);
        let photo = store
            .photo_in_scope(&centre, visit.photo_ids[0])
            .await
            .unwrap();
        assert_eq!(photo.content_type, "image/jpeg");
        assert_eq!(jpeg_size(&photo.bytes), Some((1600, 1200)));
        store.close().await;
    });
}

/// A finding of the demo county still to verify: (child, category code, the director of the
/// child's village).
fn pending_finding(data_dir: &std::path::Path) -> (i64, String, String) {
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
        let today = chrono::NaiveDate::parse_from_str(support::cli::AS_OF, "%Y-%m-%d").unwrap();
        let pending = store
            .pending_verifications(&centre, today, 1000)
            .await
            .unwrap();
        let finding = pending
            .iter()
            .find(|p| p.person.residence_grid.is_some())
            .expect("the demo county has suspected children to verify");
        let grid = finding.person.residence_grid.as_ref().unwrap().as_str();
        let out = (
            finding.person.id.0,
            finding.category.code().to_string(),
            format!("director{}", &grid[6..12]),
        );
        store.close().await;
        out
    })
}

#[test]
fn a_director_verifies_a_suspected_child_offline_and_the_decision_syncs_once() {
    let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: true }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    let (person, category, director) = pending_finding(data);
    let (server, base) = serve(data);
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let item = format!("#verify-{person}-{category}");

    let mut server = Some(server);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        login(&browser, &base, &director);
        browser.goto(&format!("{base}/m/verify")).unwrap();
        script(
            &browser,
            "return navigator.serviceWorker.ready.then(function (r) { return r.active.state; });",
        )
        .unwrap();
        // Opened online under the service worker: 待核实 is kept on the phone.
        browser.goto(&format!("{base}/m/verify")).unwrap();
        browser
            .wait_until(Duration::from_secs(10), "the service worker", || {
                Ok(
                    script(&browser, "return !!navigator.serviceWorker.controller;")?
                        .as_bool()
                        .unwrap_or(false)
                        .then_some(()),
                )
            })
            .unwrap();
        browser.find(&item).unwrap();
        let kept = "return caches.open('humiao-pages').then(function (c) { \
                    return c.match('/m/verify'); }).then(function (r) { return !!r; });";
        browser
            .wait_until(
                Duration::from_secs(10),
                "待核实 kept on the phone",
                || {
                    Ok(script(&browser, kept)?
                        .as_bool()
                        .unwrap_or(false)
                        .then_some(()))
                },
            )
            .unwrap();

        // No connection: the list opens from the phone and the decision waits there.
        drop(server.take());
        browser.goto(&format!("{base}/m/verify")).unwrap();
        browser
            .wait_for_text("#offline-banner", "离线模式", Duration::from_secs(10))
            .unwrap();
        browser
            .find(&format!("{item} summary"))
            .unwrap()
            .click()
            .unwrap();
        browser
            .find(&format!("{item} input[name='verdict'][value='rejected']"))
            .unwrap()
            .click()
            .unwrap();
        script(
            &browser,
            &format!("document.querySelector(\"{item} select[name='reason']\").value = 'wrong_data'; return true;"),
        )
        .unwrap();
        // Without words the phone says why at once (the server would refuse it later).
        browser
            .find(&format!("{item} button[type='submit']"))
            .unwrap()
            .click()
            .unwrap();
        browser
            .wait_for_text(
                &format!("{item} .verify-error"),
                "排除时，请写明核实情况",
                Duration::from_secs(10),
            )
            .unwrap();
        browser
            .find(&format!("{item} textarea[name='text']"))
            .unwrap()
            .send_keys("入户核实：父母均在家共同抚养，部门数据有误")
            .unwrap();
        browser
            .find(&format!("{item} button[type='submit']"))
            .unwrap()
            .click()
            .unwrap();
        browser
            .wait_for_text("#sync-count", "待同步 1 条", Duration::from_secs(30))
            .unwrap();
        browser
            .wait_for_text(
                &format!("{item} .verify-queued"),
                "已记录核实结论（排除），待同步",
                Duration::from_secs(10),
            )
            .unwrap();

        // The connection returns: sent once.
        server = Some(serve_at(data, port).0);
        browser.find("#sync-now").unwrap().click().unwrap();
        browser
            .wait_for_text(
                "#sync-status",
                "已同步 1 条核实结论",
                Duration::from_secs(30),
            )
            .unwrap();
        browser
            .wait_for_text("#sync-count", "待同步 0 条", Duration::from_secs(10))
            .unwrap();
        // Online, the list no longer holds the finding.
        browser.goto(&format!("{base}/m/verify")).unwrap();
        browser.find("#verify-summary").unwrap();
        assert!(browser.find_all(&item).unwrap().is_empty());
    }));
    if let Err(panic) = result {
        browser.dump(data, "e2e-verify-failure");
        if let Ok(kept) = std::env::var("HUMIAO_KEEP_FAILURES") {
            let _ = std::fs::create_dir_all(&kept);
            for name in ["e2e-verify-failure.png", "e2e-verify-failure.html"] {
                let _ = std::fs::copy(data.join(name), std::path::Path::new(&kept).join(name));
            }
        }
        std::panic::resume_unwind(panic);
    }
    drop(server);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", data.join("humiao.db").display());
        let store = Store::connect(&url).await.unwrap();
        let decisions = store
            .verifications_of(humiao_core::PersonId(person))
            .await
            .unwrap();
        assert_eq!(decisions.len(), 1, "{decisions:?}");
        assert_eq!(decisions[0].category.code(), category);
        assert_eq!(
            decisions[0].decision,
            humiao_core::verification::Decision::Rejected {
                reason: humiao_core::verification::RejectReason::WrongData,
                text: "入户核实：父母均在家共同抚养，部门数据有误".into(),
            }
        );
        assert_eq!(decisions[0].username, director);
        store.close().await;
    });
}
