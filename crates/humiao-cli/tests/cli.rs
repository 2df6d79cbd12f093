//! The `humiao` binary end to end: demo, import with quarantine, idempotent re-import, exit codes.

mod support;

use std::path::PathBuf;

use support::cli::{humiao, humiao_ok, small_demo, stderr, stdout};

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
    for file in ["户籍人口", "学籍", "救助资金", "服刑", "残疾人证", "离婚"] {
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
