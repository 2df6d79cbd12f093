//! Fixtures and a tiny in-process browser for the web tests.
//!
//! Everything is built through the store API on a temporary SQLite file: two grids (A in 东城街道,
//! B in 西山镇), a child in each with an open alert, a director for each grid, a centre user, an
//! auditor and the other roles.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use chrono::NaiveDate;
use http_body_util::BodyExt;
use humiao_core::access::Role;
use humiao_core::alert::{AlertDraft, Severity};
use humiao_core::geo::GeoPoint;
use humiao_core::linking::LinkRule;
use humiao_core::policy::{Category, Decision, Reason};
use humiao_core::records::{HouseholdMember, PersonRef, RegisterStatus};
use humiao_core::{
    CitizenId, Department, DepartmentRecord, MentionRole, PersonId, PersonName, RecordKind, Region,
    RegionCode, RelationKind,
};
use humiao_store::{
    AlertFilter, AssessmentWrite, BatchStatus, NewAlert, NewBatch, NewPerson, NewSourceRecord,
    NewUser, Store,
};
use humiao_web::{hash_password, router, AppState, WebConfig};
use tower::ServiceExt;

pub const COUNTY: &str = "330199000000";
pub const GRID_A: &str = "330199001001001";
pub const GRID_B: &str = "330199002001001";
pub const PASSWORD: &str = "正确的密码-Correct1";
pub const CHILD_A_NAME: &str = "王小明";
pub const CHILD_B_NAME: &str = "李小红";
/// The sensitive alert detail directors must never see.
pub const DETAIL_A: &str = "父亲服刑在押，2026-03-01起至2028-03-01";
pub const MASKED_MESSAGE: &str = "家庭变故，请尽快走访";
/// Synthetic reference points of the two villages (青石社区, 西山村).
pub const VILLAGE_A_POINT: (f64, f64) = (30.2741, 120.1551);
pub const VILLAGE_B_POINT: (f64, f64) = (30.05, 120.45);

/// A valid 1x1 PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

/// One hash for every test user: argon2 is deliberately slow.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

pub struct TestApp {
    pub app: Router,
    pub store: Store,
    pub child_a: PersonId,
    pub child_b: PersonId,
    /// Child A's father, an adult living in grid A.
    pub father: PersonId,
    pub child_a_id: CitizenId,
    pub alert_a: i64,
    pub alert_b: i64,
    _dir: tempfile::TempDir,
}

fn member(
    name: &str,
    id: &CitizenId,
    hukou_village: &str,
    grid: &str,
    father: Option<(&CitizenId, &str)>,
) -> HouseholdMember {
    HouseholdMember {
        household_no: format!("H{}", &grid[9..]),
        citizen_id: Some(id.clone()),
        name: PersonName::parse(name).unwrap(),
        sex: id.sex(),
        birth_date: id.birth_date(),
        relation_to_head: None,
        hukou_region: code(hukou_village),
        hukou_address: Some("幸福路1号".into()),
        residence_grid: Some(code(grid)),
        residence_address: Some("青石社区幸福路12号3幢201室".into()),
        father: father
            .map(|(id, name)| PersonRef {
                citizen_id: Some(id.clone()),
                name: Some(PersonName::parse(name).unwrap()),
            })
            .unwrap_or_default(),
        mother: PersonRef::default(),
        guardian: PersonRef::default(),
        status: RegisterStatus::Normal,
        status_date: None,
        outflow_reason: None,
        outflow_since: None,
        residence_since: None,
        outflow_destination: None,
    }
}

async fn add_user(store: &Store, username: &str, role: Role, places: &[&str]) {
    store
        .upsert_user(&NewUser {
            username: username.into(),
            display_name: format!("{}测试", role.label_zh()),
            password_hash: password_hash(),
            role,
            jurisdiction: places.iter().map(|p| code(p)).collect(),
            department: (role == Role::DepartmentLiaison).then_some(Department::Police),
        })
        .await
        .unwrap();
}

impl TestApp {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();

        // Villages carry synthetic reference points for the visit checks (visit_parts() is
        // near 青石社区's).
        let regions = [
            (COUNTY, "护苗县", false, None),
            ("330199001000", "东城街道", false, None),
            ("330199001001", "青石社区", false, Some(VILLAGE_A_POINT)),
            (GRID_A, "青石社区第一网格", false, None),
            ("330199002000", "西山镇", false, None),
            ("330199002001", "西山村", true, Some(VILLAGE_B_POINT)),
            (GRID_B, "西山村第一网格", true, None),
        ];
        store
            .upsert_regions(
                &regions
                    .iter()
                    .map(|(c, n, r, p)| Region {
                        code: code(c),
                        name: n.to_string(),
                        rural: *r,
                        centre: p.map(|(lat, lon)| GeoPoint::new(lat, lon).unwrap()),
                    })
                    .collect::<Vec<_>>(),
            )
            .await
            .unwrap();

        let child_a_id = CitizenId::from_parts("330199", d(2015, 3, 1), 11).unwrap();
        let child_b_id = CitizenId::from_parts("330199", d(2016, 4, 2), 22).unwrap();
        let father_id = CitizenId::from_parts("330199", d(1985, 1, 1), 31).unwrap();
        let batch = store
            .create_batch(&NewBatch {
                department: Department::Police,
                record_kind: RecordKind::HouseholdMember,
                mapping_name: "test".into(),
                file_name: "户籍.csv".into(),
                file_sha256: "abc".into(),
                imported_by: "test".into(),
            })
            .await
            .unwrap();
        // Child A is registered in 西山村 but lives in grid A: 人户分离.
        let rows = [
            member(
                CHILD_A_NAME,
                &child_a_id,
                "330199002001",
                GRID_A,
                Some((&father_id, "王强")),
            ),
            member(CHILD_B_NAME, &child_b_id, "330199002001", GRID_B, None),
            member("王强", &father_id, "330199001001", GRID_A, None),
        ];
        let records: Vec<NewSourceRecord> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| NewSourceRecord {
                line: i as i64 + 2,
                content_hash: format!("hash{i}"),
                raw: serde_json::json!({ "row": i }),
                record: DepartmentRecord::HouseholdMember(r.clone()),
                warnings: serde_json::json!([]),
            })
            .collect();
        store.add_batch_rows(batch, &records, &[]).await.unwrap();
        store
            .finish_batch(batch, BatchStatus::Completed, None)
            .await
            .unwrap();

        let pending = store.pending_records().await.unwrap();
        let mut writer = store.link_writer().await.unwrap();
        let mut ids = Vec::new();
        for p in &pending {
            let DepartmentRecord::HouseholdMember(r) = &p.record else {
                panic!("household rows only")
            };
            let id = writer
                .create_person(&NewPerson {
                    citizen_id: r.citizen_id.clone(),
                    name: r.name.clone(),
                    sex: r.sex,
                    birth_date: r.birth_date,
                    hukou_region: Some(r.hukou_region.clone()),
                    hukou_address: r.hukou_address.clone(),
                    residence_grid: r.residence_grid.clone(),
                    residence_address: r.residence_address.clone(),
                    household_no: Some(r.household_no.clone()),
                    source: p.id,
                })
                .await
                .unwrap();
            writer
                .link_mention(
                    p.id,
                    MentionRole::Subject,
                    Some(id),
                    Some(LinkRule::NewPerson),
                    "身份证号有效，新建人员",
                )
                .await
                .unwrap();
            writer.mark_record(p.id, true).await.unwrap();
            ids.push(id);
        }
        let (child_a, child_b, father) = (ids[0], ids[1], ids[2]);
        writer
            .add_relationship(child_a, RelationKind::Father, father, pending[0].id)
            .await
            .unwrap();
        writer.commit().await.unwrap();

        let draft = |child: PersonId, trigger: &str, detail: &str| AlertDraft {
            child,
            reason_code: "family_change:custody".into(),
            trigger_key: trigger.into(),
            severity: Severity::High,
            masked_message: MASKED_MESSAGE.into(),
            detail: detail.into(),
            due: d(2026, 11, 25),
            sources: vec![pending[2].id],
            police: false,
        };
        store
            .apply_assessment(&AssessmentWrite {
                as_of: today(),
                decisions: vec![(
                    child_a,
                    Decision {
                        category: Category::DeFactoUnsupported,
                        reasons: vec![Reason {
                            text: DETAIL_A.into(),
                            sources: vec![pending[2].id],
                        }],
                        policy: Category::DeFactoUnsupported.policy_ref().into(),
                    },
                )],
                removed: Vec::new(),
                alerts: vec![
                    NewAlert {
                        draft: draft(child_a, "t:a", DETAIL_A),
                        grid: Some(code(GRID_A)),
                    },
                    NewAlert {
                        draft: draft(child_b, "t:b", "母亲失联（2026-05-01）"),
                        grid: Some(code(GRID_B)),
                    },
                ],
                risks: vec![],
            })
            .await
            .unwrap();

        add_user(&store, "director_a", Role::ChildDirector, &[GRID_A]).await;
        add_user(&store, "director_b", Role::ChildDirector, &[GRID_B]).await;
        add_user(&store, "station_a", Role::StationStaff, &["330199001000"]).await;
        add_user(&store, "centre", Role::CentreStaff, &[COUNTY]).await;
        add_user(&store, "auditor", Role::Auditor, &[COUNTY]).await;
        add_user(&store, "liaison", Role::DepartmentLiaison, &[COUNTY]).await;
        add_user(&store, "admin", Role::Administrator, &[COUNTY]).await;

        let centre = store.user_by_username("centre").await.unwrap().unwrap();
        let alerts = store
            .list_alerts(
                &centre.actor(),
                &AlertFilter {
                    status: None,
                    person: None,
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let alert_of = |p: PersonId| alerts.iter().find(|a| a.person_id == p).unwrap().id;

        let app = router(AppState::new(
            store.clone(),
            WebConfig {
                secure_cookies: false,
                today_override: Some(today()),
                badge_ttl: None,
                places_ttl: None,
            },
        ));
        Self {
            app,
            store,
            child_a,
            child_b,
            father,
            child_a_id,
            alert_a: alert_of(child_a),
            alert_b: alert_of(child_b),
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.app.clone().oneshot(req).await.unwrap()
    }

    /// A browser without a session.
    /// Assesses the county today with the national pack (categories, risk rows, alerts).
    pub async fn assess_national(&self) -> humiao_pipeline::AssessReport {
        humiao_pipeline::assess_all(
            &self.store,
            today(),
            &humiao_rules::national(),
            &humiao_core::alert::AlertParams::default(),
        )
        .await
        .unwrap()
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: HashMap::new(),
        }
    }

    /// A browser signed in as `username`.
    pub async fn login(&self, username: &str) -> Browser<'_> {
        let mut b = self.browser();
        let res = b.try_login(username, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "login of {username}: {}",
            res.body
        );
        assert!(b.cookies.contains_key("humiao_session"));
        b
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub bytes: Vec<u8>,
    pub body: String,
}

pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: HashMap<String, String>,
}

/// The value of `<input … name="NAME" value="…">` or `<meta name="NAME" content="…">`.
pub fn attribute_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let end = rest.find('>')?;
    let tag = &rest[..end];
    let key = format!("{attr}=\"");
    let start = tag.find(&key)? + key.len();
    let value_end = tag[start..].find('"')?;
    Some(tag[start..start + value_end].to_string())
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn request(&self, method: &str, uri: &str) -> axum::http::request::Builder {
        let mut builder = Request::builder().method(method).uri(uri);
        if !self.cookies.is_empty() {
            builder = builder.header(header::COOKIE, self.cookie_header());
        }
        builder
    }

    pub async fn send(&mut self, req: Request<Body>) -> Page {
        let res = self.app.send(req).await;
        for value in res.headers().get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attrs) = value.split_once(';').unwrap_or((value, ""));
            let (name, val) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), val.to_string());
            }
        }
        let header_str = |h| {
            res.headers()
                .get(h)
                .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_string())
        };
        let status = res.status();
        let headers = res.headers().clone();
        let location = header_str(header::LOCATION);
        let content_type = header_str(header::CONTENT_TYPE);
        let cache_control = header_str(header::CACHE_CONTROL);
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Page {
            status,
            headers,
            location,
            content_type,
            cache_control,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        let req = self.request("GET", uri).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// Posts an urlencoded form (values are encoded here).
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .request("POST", uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_multipart(&mut self, uri: &str, parts: &[Part<'_>]) -> Page {
        self.post_multipart_with(uri, parts, &[]).await
    }

    /// Posts a multipart form with extra request headers (e.g. `X-CSRF-Token`).
    pub async fn post_multipart_with(
        &mut self,
        uri: &str,
        parts: &[Part<'_>],
        headers: &[(&str, &str)],
    ) -> Page {
        let boundary = "----humiaoTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for part in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text(name, value) => {
                    body.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                            .as_bytes(),
                    );
                    body.extend_from_slice(value.as_bytes());
                }
                Part::File {
                    name,
                    file_name,
                    content_type,
                    bytes,
                } => {
                    body.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; \
                             filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    body.extend_from_slice(bytes);
                }
            }
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self.request("POST", uri).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// Opens the login form and submits it.
    pub async fn try_login(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = attribute_after(&form.body, "name=\"csrf_token\"", "value").unwrap();
        self.post_form(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// The session's CSRF token, as pages publish it for scripts.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/").await;
        let target = page.location.unwrap_or_else(|| "/".into());
        let page = self.get(&target).await;
        attribute_after(&page.body, "name=\"csrf-token\"", "content").unwrap()
    }
}

pub enum Part<'a> {
    Text(&'a str, String),
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The parts of a visit form, with the national six aspects filled in, at 青石社区 (grid A).
pub fn visit_parts<'a>(csrf: &str, photo: Option<(&'a str, &'a [u8])>) -> Vec<Part<'a>> {
    let mut parts = vec![
        Part::Text("csrf_token", csrf.to_string()),
        Part::Text("lat", "30.274100".into()),
        Part::Text("lon", "120.155100".into()),
        Part::Text("accuracy", "12".into()),
    ];
    let aspects: BTreeMap<usize, &str> = [
        (1, "家中整洁，祖母照料"),
        (2, "衣着干净"),
        (3, "按时上学"),
        (4, "邻里和睦"),
        (5, "村委会定期探望"),
        (6, "关注父亲服刑后的情绪"),
    ]
    .into_iter()
    .collect();
    for (i, text) in aspects {
        parts.push(Part::Text(
            [
                "aspect_family",
                "aspect_appearance",
                "aspect_community",
                "aspect_neighbours",
                "aspect_social_support",
                "aspect_focus",
            ][i - 1],
            text.to_string(),
        ));
    }
    parts.push(Part::Text("notes", "已告知申请流程".into()));
    if let Some((content_type, bytes)) = photo {
        parts.push(Part::File {
            name: "photo",
            file_name: "visit.png",
            content_type,
            bytes,
        });
    }
    parts
}
