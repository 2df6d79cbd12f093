//! The `humiao` binary end to end: demo, import with quarantine, idempotent re-import, exit codes.

mod support;

use std::path::PathBuf;

use support::cli::{humiao, humiao_ok, small_demo, stderr, stdout, AS_OF};

fn demo_file(data_dir: &std::path::Path, dir: &str, prefix: &str) -> PathBuf {
    let dir = data_dir.join("demo-input/departments").join(dir);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}* in {}", dir.display()))
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = humiao_ok(dir.path(), &["--help"]);
    for command in [
        "demo", "import", "link", "assess", "serve", "migrate", "user",
    ] {
        assert!(
            out.contains(command),
            "{command} missing from --help:\n{out}"
        );
    }
}

#[test]
fn demo_imports_every_department_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = small_demo(data, 300);
    assert!(out.contains("演示账号"), "{out}");
    assert!(out.contains("centre"), "{out}");
    // One batch line per file, each through the import command's own output.
    for file in [
        "户籍人口",
        "学籍",
        "救助资金",
        "服刑",
        "残疾人证",
        "离婚",
        "重病诊断",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("导入批次") && l.contains(file)),
            "no batch for {file}:\n{out}"
        );
    }
    assert!(out.contains("事实无人抚养儿童"), "{out}");

    // The household register carries deliberately broken rows: the quarantine names them.
    let batches = humiao_ok(data, &["import", "batches"]);
    let police_batch = batches
        .lines()
        .find(|l| l.contains("公安"))
        .and_then(|l| l.split_whitespace().next())
        .expect("a police batch")
        .to_string();
    let errors = humiao_ok(data, &["import", "errors", &police_batch]);
    assert!(
        errors.contains("file,line,field,column,value,reason"),
        "{errors}"
    );
    let rows: Vec<&str> = errors
        .lines()
        .skip(2)
        .filter(|l| l.contains(".csv,"))
        .collect();
    assert!(!rows.is_empty(), "{errors}");
    assert!(
        rows.iter().any(|r| r.contains(",birth_date,")),
        "a bad date is quarantined with its field: {errors}"
    );
    assert!(rows.iter().any(|r| r.contains(",citizen_id,")), "{errors}");

    // Importing the same file again through the user's command changes nothing.
    let register = demo_file(data, "police", "户籍人口");
    let mapping = data.join("demo-input/mappings/police_household.toml");
    let again = humiao_ok(
        data,
        &[
            "import",
            "--source",
            "police",
            "--mapping",
            mapping.to_str().unwrap(),
            register.to_str().unwrap(),
            "--as-of",
            support::cli::AS_OF,
        ],
    );
    assert!(again.contains("已导入过"), "{again}");
    assert!(again.contains("新预警 0"), "{again}");

    // Running the whole demo again is idempotent too.
    let rerun = small_demo(data, 300);
    assert!(rerun.contains("新建人员 0 人"), "{rerun}");
    assert!(rerun.contains("新预警 0"), "{rerun}");
}

#[test]
fn unreadable_files_and_wrong_mappings_fail_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mapping = data.join("m.toml");
    std::fs::write(
        &mapping,
        r#"
name = "测试"
department = "justice"
record_kind = "custody"
[fields.name]
column = "姓名"
[fields.measure]
column = "类别"
values = { "服刑" = "imprisonment" }
[fields.start]
column = "入监日期"
"#,
    )
    .unwrap();
    let binary = data.join("photo.csv");
    std::fs::write(
        &binary,
        [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 0xff, 0xfe, 0],
    )
    .unwrap();
    let out = humiao(
        data,
        &[
            "import",
            "--source",
            "justice",
            "--mapping",
            mapping.to_str().unwrap(),
            binary.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(stderr(&out).contains("photo.csv"), "{}", stderr(&out));

    let missing_column = data.join("x.csv");
    std::fs::write(&missing_column, "姓名,类别\n王五,服刑\n").unwrap();
    let out = humiao(
        data,
        &[
            "import",
            "--source",
            "justice",
            "--mapping",
            mapping.to_str().unwrap(),
            missing_column.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(65));
    assert!(stderr(&out).contains("入监日期"), "{}", stderr(&out));

    let out = humiao(
        data,
        &[
            "import",
            "--source",
            "police",
            "--mapping",
            mapping.to_str().unwrap(),
            missing_column.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("司法"), "{}", stderr(&out));

    let out = humiao(
        data,
        &["import", "--source", "nobody", "--mapping", "m", "f"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown department"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn link_explains_exports_and_relinks_with_stable_ids() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    // Nothing new: an incremental run links nothing and changes nothing.
    let again = humiao_ok(data, &["link"]);
    assert!(again.contains("增量 incremental"), "{again}");
    assert!(again.contains("新建人员 0 人"), "{again}");

    let export = data.join("links.csv");
    let full = humiao_ok(
        data,
        &["link", "--full", "--export", export.to_str().unwrap()],
    );
    assert!(full.contains("全量 full"), "{full}");
    assert!(full.contains("合并 0 人, 拆分 0 人"), "{full}");
    assert!(full.contains("模型已重新估计"), "{full}");
    let csv = std::fs::read_to_string(&export).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("record_id,person_id"));
    let rows: Vec<(&str, &str)> = lines.map(|l| l.split_once(',').unwrap()).collect();
    assert!(rows.len() > 300, "{}", rows.len());
    assert!(rows.iter().any(|(r, _)| r.contains(":father")));
    // Stable ids: exporting after another full run gives the same file.
    let export2 = data.join("links2.csv");
    humiao_ok(
        data,
        &["link", "--full", "--export", export2.to_str().unwrap()],
    );
    assert_eq!(csv, std::fs::read_to_string(&export2).unwrap());

    // Explain the first subject record that shares its person with another record.
    let mut by_person: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (r, p) in &rows {
        by_person.entry(p).or_default().push(r);
    }
    let record = by_person
        .values()
        .find(|rs| rs.len() > 1 && rs.iter().any(|r| !r.contains(':')))
        .and_then(|rs| rs.iter().find(|r| !r.contains(':')))
        .expect("a person with several records");
    let why = humiao_ok(data, &["link", "--explain", record]);
    for needle in [
        "同一人员的其他记录",
        "身份证号",
        "姓名",
        "出生日期",
        "先验",
        "概率",
    ] {
        assert!(why.contains(needle), "{needle} missing:\n{why}");
    }
    let missing = humiao(data, &["link", "--explain", "99999999"]);
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));

    // Survivorship rules from a file: a mistake is named with its line and nothing changes.
    let bad = data.join("bad.toml");
    std::fs::write(&bad, "trust = [\"公安\"]\n[fields]\nname = [\"newest\"]\n").unwrap();
    let refused = humiao(data, &["link", "--survivorship", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(65), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("bad.toml:3: 未知规则“newest”"),
        "{}",
        stderr(&refused)
    );
    let good = data.join("survivorship.toml");
    std::fs::write(
        &good,
        "trust = [\"民政\", \"公安\"]\n[fields]\nresidence_address = [\"most_recent\"]\n",
    )
    .unwrap();
    let applied = humiao_ok(data, &["link", "--survivorship", good.to_str().unwrap()]);
    assert!(applied.contains("留存规则已保存并生效"), "{applied}");
    assert!(applied.contains("全量 full"), "{applied}");
    // Houses (人房) are derived from the golden records' addresses.
    let houses: usize = applied
        .split("人房 houses: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(houses > 50, "{applied}");
}

#[test]
fn rule_packs_are_checked_tested_compared_activated_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // The shipped case book passes on the shipped pack, with no database at all.
    let tested = humiao_ok(data, &["rules", "test"]);
    assert!(tested.contains("个案例通过，0 个失败"), "{tested}");
    // The specialised models inside the binary, with their case book from the sources.
    let book = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../humiao-rules/packs/specialised.cases.toml"
    );
    let tested = humiao_ok(
        data,
        &["rules", "test", "builtin:specialised", "--cases", book],
    );
    assert!(
        tested.contains("specialised 2026.1：6 个案例通过，0 个失败"),
        "{tested}"
    );
    let missing = humiao(data, &["rules", "check", "builtin:provincial"]);
    assert_ne!(missing.status.code(), Some(0));
    assert!(stderr(&missing).contains("没有内置规则包“provincial”"));

    // A broken local pack: every problem with file, line and column; exit 65.
    let bad = data.join("bad.toml");
    std::fs::write(
        &bad,
        "[pack]\nname = \"x\"\nversion = \"1\"\nextends = \"national\"\n\n[categories.orphan]\npolicy = \"p\"\nwhen = \"age < adult_age and fathr.dead\"\n",
    )
    .unwrap();
    let refused = humiao(data, &["rules", "check", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(65));
    assert!(
        stderr(&refused).contains("bad.toml:8:29: 类别 orphan：“fathr”不是人员"),
        "{}",
        stderr(&refused)
    );

    // A case book that expects the wrong thing fails with the difference; exit 1.
    let book = data.join("cases.toml");
    std::fs::write(
        &book,
        "[[case]]\nname = \"父母双亡\"\nas_of = \"2026-11-22\"\nchild = { birth = \"2015-03-01\" }\nfather = [{ type = \"death\", from = \"2020-01-01\" }]\nmother = [{ type = \"death\", from = \"2021-05-01\" }]\nexpect = [\"orphan\"]\n",
    )
    .unwrap();
    let failed = humiao(data, &["rules", "test", "--cases", book.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stdout(&failed).contains("应保未保"), "{}", stdout(&failed));

    // A local pack raising the 留守 age: compared (dry run) against the county, then activated.
    small_demo(data, 300);
    let local = data.join("local.toml");
    std::fs::write(
        &local,
        "[pack]\nname = \"huxian\"\nversion = \"2026.2\"\nextends = \"national\"\n\n[parameters.left_behind_max_age]\nlabel = \"本县延至18周岁\"\nvalues = [{ from = \"2016-02-14\", value = 16 }, { from = \"2026-07-01\", value = 18 }]\n",
    )
    .unwrap();
    let checked = humiao_ok(data, &["rules", "check", local.to_str().unwrap()]);
    assert!(
        checked.contains("national 2026.1 + huxian 2026.2"),
        "{checked}"
    );
    let diff = humiao_ok(
        data,
        &["rules", "diff", local.to_str().unwrap(), "--as-of", AS_OF],
    );
    assert!(
        diff.contains("试运行") && diff.contains("农村留守儿童"),
        "{diff}"
    );
    let activated = humiao_ok(data, &["rules", "activate", local.to_str().unwrap()]);
    assert!(
        activated.contains("已启用规则包 huxian 2026.2"),
        "{activated}"
    );
    let shown = humiao_ok(data, &["rules", "show"]);
    assert!(
        shown.contains("huxian") && shown.contains("操作人 cli"),
        "{shown}"
    );
    let assessed = humiao_ok(data, &["assess", "--as-of", AS_OF]);
    assert!(assessed.contains("评估 assessed"), "{assessed}");
    // The rules' precision from the directors' verifications (none yet).
    let quality = humiao_ok(data, &["rules", "quality"]);
    assert!(
        quality.contains("准确率") && quality.contains("事实无人抚养儿童"),
        "{quality}"
    );

    // One child explained: the decision, its facts with source records, the parameters.
    let export = data.join("links.csv");
    humiao_ok(data, &["link", "--export", export.to_str().unwrap()]);
    let id = de_facto_child(data);
    let text = humiao_ok(data, &["explain", &id.to_string(), "--as-of", AS_OF]);
    assert!(text.contains("认定：事实无人抚养儿童"), "{text}");
    assert!(text.contains("来源记录"), "{text}");
    assert!(text.contains("民发〔2019〕62号"), "{text}");
    assert!(text.contains("left_behind_max_age=18"), "{text}");
    let missing = humiao(data, &["explain", "999999"]);
    assert_eq!(missing.status.code(), Some(1));

    // One child again, alone: nothing has changed since the county's assessment.
    let again = humiao_ok(
        data,
        &["assess", "--person", &id.to_string(), "--as-of", AS_OF],
    );
    assert!(
        again.contains("评估 assessed: 儿童 1 人, 新增认定 0, 撤销认定 0, 新预警 0"),
        "{again}"
    );
    assert!(again.contains("事实无人抚养儿童"), "{again}");
}

/// A child the demo county's assessment found 事实无人抚养, read through the store.
fn de_facto_child(data_dir: &std::path::Path) -> i64 {
    use humiao_core::access::{Actor, Role};
    use humiao_core::policy::Category;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", data_dir.join("humiao.db").display());
        let store = humiao_store::Store::connect(&url).await.unwrap();
        let centre = Actor {
            user_id: 0,
            username: "test".into(),
            role: Role::CentreStaff,
            jurisdiction: vec![humiao_core::RegionCode::parse("330199000000").unwrap()],
        };
        let children = store
            .list_children(
                &centre,
                &humiao_store::ChildFilter {
                    as_of: chrono::NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap(),
                    query: None,
                    category: Some(Category::DeFactoUnsupported),
                    place: None,
                    with_open_alert: false,
                    limit: 1,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        store.close().await;
        children[0].person.id.0
    })
}

/// A department's key from the command line, events over real HTTP to `humiao serve`, and the
/// key revoked: the next push is refused.
#[test]
fn a_department_pushes_events_with_a_key_until_it_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    humiao_ok(data, &["migrate"]);
    let refused = humiao(
        data,
        &["apikey", "add", "--department", "mars", "--label", "x"],
    );
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        stderr(&refused).contains("没有部门“mars”"),
        "{}",
        stderr(&refused)
    );
    let added = humiao_ok(
        data,
        &[
            "apikey",
            "add",
            "--department",
            "公安",
            "--label",
            "公安推送",
        ],
    );
    let key = added
        .lines()
        .find(|l| l.starts_with("hmk_"))
        .expect("the key is printed once")
        .trim()
        .to_string();
    let listed = humiao_ok(data, &["apikey", "list"]);
    assert!(
        listed.contains("公安推送") && listed.contains("有效"),
        "{listed}"
    );
    assert!(!listed.contains(&key), "the key itself is never listed");

    let (_server, base) = support::cli::serve(data);
    let url = format!("{base}/api/v1/events");
    let event = serde_json::json!({
        "event_id": "GA-2026-1",
        "kind": "detention",
        "occurred_on": "2026-11-20",
        "subject": { "name": "王强", "birth_date": "1986-02-03" },
        "until": "2027-05-19"
    });
    let push = |key: &str| -> (u16, serde_json::Value) {
        match ureq::post(&url)
            .set("Authorization", &format!("Bearer {key}"))
            .send_json(event.clone())
        {
            Ok(r) => (r.status(), r.into_json().unwrap()),
            Err(ureq::Error::Status(code, r)) => {
                (code, r.into_json().unwrap_or(serde_json::Value::Null))
            }
            Err(e) => panic!("{e}"),
        }
    };
    let (status, first) = push(&key);
    assert_eq!(status, 202, "{first}");
    let (status, again) = push(&key);
    assert_eq!(status, 200);
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["id"], first["id"]);

    let id = listed
        .split_whitespace()
        .next()
        .and_then(|t| t.strip_prefix('#'))
        .unwrap()
        .to_string();
    let revoked = humiao_ok(data, &["apikey", "revoke", &id]);
    assert!(revoked.contains("已吊销"), "{revoked}");
    assert_eq!(push(&key).0, 401);
    let twice = humiao(data, &["apikey", "revoke", &id]);
    assert_eq!(twice.status.code(), Some(1));
}

#[test]
fn a_daily_event_file_is_imported_once_with_bad_lines_refused_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    humiao_ok(data, &["migrate"]);
    let file = data.join("公安事件-20261122.jsonl");
    std::fs::write(
        &file,
        "{\"event_id\":\"GA-1\",\"kind\":\"detention\",\"occurred_on\":\"2026-11-20\",\"subject\":{\"name\":\"王强\",\"birth_date\":\"1986-02-03\"}}\n\
         {\"event_id\":\"GA-2\",\"kind\":\"arrest\",\"occurred_on\":\"2026-11-20\",\"subject\":{\"name\":\"李四\"}}\n\
         \n\
         {\"event_id\":\"GA-3\",\"kind\":\"death\",\"occurred_on\":\"2026-11-21\",\"subject\":{\"name\":\"赵五\"}}\n",
    )
    .unwrap();
    let args = [
        "events",
        "import",
        "--department",
        "police",
        "--today",
        AS_OF,
        file.to_str().unwrap(),
    ];
    let first = humiao(data, &args);
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("公安事件-20261122.jsonl:2: kind:"),
        "{}",
        stderr(&first)
    );
    let out = stdout(&first);
    assert!(
        out.contains("新事件 2 条，已收到过 0 条，拒收 1 条"),
        "{out}"
    );
    // Processed at once: nobody in this empty county, so nothing links.
    assert!(
        out.contains("处理事件 2 条") && out.contains("未能关联到人员 2 条"),
        "{out}"
    );
    let again = humiao(data, &args);
    assert!(
        stdout(&again).contains("新事件 0 条，已收到过 2 条"),
        "{}",
        stdout(&again)
    );
    let replay = humiao_ok(data, &["events", "process", "--replay", "--today", AS_OF]);
    assert!(replay.contains("处理事件 2 条：生成预警 0 条"), "{replay}");
}

#[test]
fn the_simulator_pushes_events_the_server_turns_into_alerts_and_deadlines_escalate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    small_demo(data, 300);
    let (server, base) = support::cli::serve(data);
    let out = humiao_ok(
        data,
        &[
            "demo", "events", "--rate", "50", "--count", "20", "--url", &base,
        ],
    );
    assert!(out.contains("已推送 20 条"), "{out}");
    assert_eq!(out.matches("→ 202").count(), 20, "{out}");

    // The server's worker processes them (not this test): wait until none is left.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("sqlite://{}", data.join("humiao.db").display());
    let (events, simulated_alerts) = rt.block_on(async {
        let store = humiao_store::Store::connect(&url).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !store.unprocessed_events(10).await.unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "events not processed");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let events = store.events(Some("accepted"), 100).await.unwrap();
        let raised: usize = events
            .iter()
            .map(|e| {
                serde_json::from_str::<serde_json::Value>(e.outcome_json.as_deref().unwrap())
                    .unwrap()["alerts_raised"]
                    .as_u64()
                    .unwrap() as usize
            })
            .sum();
        store.close().await;
        (events, raised)
    });
    assert_eq!(events.len(), 20);
    assert!(events.iter().all(|e| e.source_record_id.is_some()));
    assert!(
        simulated_alerts > 0,
        "demo persons link, so events raise alerts"
    );
    drop(server);

    // A month on, the deadline watch hands the overdue alerts up.
    let watched = humiao_ok(data, &["alerts", "watch", "--today", "2026-12-30"]);
    assert!(watched.contains("2026-12-30：到期提醒"), "{watched}");
    let escalated: usize = watched
        .split("逾期上报 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(escalated > 0, "{watched}");
}
