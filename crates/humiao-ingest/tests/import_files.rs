//! Importing real files: CSV in UTF-8 and GBK, XLSX, broken files and broken mappings.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use humiao_core::records::HouseholdMember;
use humiao_core::{CitizenId, DepartmentRecord, Sex};
use humiao_ingest::{parse_file, Mapping, MappingError, ParsedRow, ReadError};

const HOUSEHOLD_MAPPING: &str = r#"
name = "公安常住人口登记表"
department = "police"
record_kind = "household_member"

[fields.household_no]
column = "户号"
[fields.citizen_id]
column = "公民身份号码"
[fields.name]
column = "姓名"
[fields.sex]
column = "性别"
values = { "男" = "male", "1" = "male", "女" = "female", "2" = "female" }
[fields.birth_date]
column = "出生日期"
formats = ["%Y%m%d", "%Y-%m-%d"]
[fields.hukou_region]
column = "户籍地区划"
[fields.residence_grid]
column = "现住网格"
"#;

const HEADER: &str = "户号,公民身份号码,姓名,性别,出生日期,户籍地区划,现住网格,备注";

fn id(y: i32, m: u32, d: u32, seq: u16) -> String {
    CitizenId::from_parts("330109", NaiveDate::from_ymd_opt(y, m, d).unwrap(), seq)
        .unwrap()
        .to_string()
}

fn mapping(extra: &str) -> Mapping {
    Mapping::from_toml_str(
        &format!("{HOUSEHOLD_MAPPING}{extra}"),
        "police_household.toml",
    )
    .unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn household_csv() -> String {
    format!(
        "{HEADER}\n\
         H001,{},张三,男,20150308,330109001201,330109001201002,留守\n\
         H001,{},李 梅,2,1988-11-02,330109001201,,\"外出务工，\n浙江\"\n\
         H002,{},王五,1,20100101,330109001201,,\n",
        id(2015, 3, 8, 11),
        id(1988, 11, 2, 22),
        id(2010, 1, 1, 31),
    )
}

fn parse(path: &Path, mapping: &Mapping) -> (Vec<String>, Vec<ParsedRow>) {
    let rows = parse_file(path, mapping).unwrap();
    let headers = rows.headers().to_vec();
    (headers, rows.collect())
}

fn member(row: &ParsedRow) -> &HouseholdMember {
    match &row.result {
        Ok(valid) => match &valid.record {
            DepartmentRecord::HouseholdMember(m) => m,
            other => panic!("wrong record {other:?}"),
        },
        Err(issues) => panic!("line {} failed: {issues:?}", row.line),
    }
}

fn records(rows: &[ParsedRow]) -> Vec<DepartmentRecord> {
    rows.iter()
        .map(|r| r.result.as_ref().unwrap().record.clone())
        .collect()
}

#[test]
fn utf8_csv_with_bom_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = "\u{FEFF}".as_bytes().to_vec();
    bytes.extend_from_slice(household_csv().as_bytes());
    let path = write(dir.path(), "户籍人口_2026.csv", &bytes);
    let rows = parse_file(&path, &mapping("")).unwrap();
    assert_eq!(rows.total_rows(), Some(4));
    let headers = rows.headers().to_vec();
    assert_eq!(headers[0], "户号", "BOM stripped from the first header");
    let rows: Vec<ParsedRow> = rows.collect();
    assert_eq!(rows.len(), 3);
    // The second record spans two physical lines, but is one spreadsheet row.
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4]);

    let first = member(&rows[0]);
    assert_eq!(first.household_no, "H001");
    assert_eq!(first.name.as_str(), "张三");
    assert_eq!(first.sex, Sex::Male);
    assert_eq!(
        first.birth_date,
        NaiveDate::from_ymd_opt(2015, 3, 8).unwrap()
    );
    assert_eq!(
        first.residence_grid.as_ref().unwrap().as_str(),
        "330109001201002"
    );
    let second = member(&rows[1]);
    assert_eq!(second.name.as_str(), "李梅");
    assert_eq!(second.sex, Sex::Female);
    assert_eq!(second.residence_grid, None);

    // The raw row keeps every column, unmapped ones included.
    assert_eq!(rows[1].raw["备注"], "外出务工，\n浙江");
    assert_eq!(rows[0].raw["姓名"], "张三");
    assert_eq!(rows[0].content_hash.len(), 64);
    assert_ne!(rows[0].content_hash, rows[2].content_hash);
}

#[test]
fn gbk_csv_gives_the_same_records_and_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let utf8 = write(dir.path(), "utf8.csv", household_csv().as_bytes());
    let text = household_csv();
    let (gbk_bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk_bytes).is_err(), "really GBK");
    let gbk = write(dir.path(), "gbk.csv", &gbk_bytes);

    let m = mapping("");
    assert_eq!(m.encoding, humiao_ingest::TextEncoding::Auto);
    let (h1, a) = parse(&utf8, &m);
    let (h2, b) = parse(&gbk, &m);
    assert_eq!(h1, h2);
    assert_eq!(records(&a), records(&b));
    assert_eq!(a, b, "raw rows, lines and hashes agree too");

    // Declared UTF-8 on GBK bytes: a clear error naming the file and where.
    let utf8_mapping = Mapping {
        encoding: humiao_ingest::TextEncoding::Utf8,
        ..mapping("")
    };
    let e = parse_file(&gbk, &utf8_mapping).unwrap_err();
    assert!(matches!(e, ReadError::InvalidUtf8 { line: 1, .. }), "{e:?}");
    assert!(e.to_string().contains("gbk.csv"), "{e}");
}

#[test]
fn bad_rows_are_reported_with_line_and_field_and_good_rows_pass() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\n\
         H1,{},张三,男,20150308,330109001201,,\n\
         H1,{},李四,男,2015-02-30,330109001201,,\n\
         H2,{},王五,女,20120101,330109001201,,\n\
         H3,110105194912310021,赵六,男,20150308,330109001201,,\n\
         \n\
         H4,{}, ,女,20150308,330109001201,,\n\
         H5,{},钱七,女,20150308,330109001201\n\
         H6,{},孙八,男,19991231,330109001201,,\n",
        id(2015, 3, 8, 11),
        id(2015, 2, 1, 13),
        id(2012, 1, 1, 22),
        id(2015, 3, 8, 24),
        id(2015, 3, 8, 26),
        id(1999, 12, 31, 15),
    );
    let path = write(dir.path(), "mixed.csv", text.as_bytes());
    let (_, rows) = parse(&path, &mapping(""));
    let outcome: Vec<(usize, Result<(), Vec<String>>)> = rows
        .iter()
        .map(|r| {
            (
                r.line,
                r.result
                    .as_ref()
                    .map(|_| ())
                    .map_err(|issues| issues.iter().map(|i| i.field.clone()).collect()),
            )
        })
        .collect();
    let fail = |fields: &[&str]| Err(fields.iter().map(|f| f.to_string()).collect());
    assert_eq!(
        outcome,
        vec![
            (2, Ok(())),
            (3, fail(&["birth_date"])),
            (4, Ok(())),
            (5, fail(&["citizen_id"])),
            (7, fail(&["name"])),
            (8, fail(&["_row"])),
            (9, Ok(())),
        ]
    );
    let issue = |line: usize| {
        &rows
            .iter()
            .find(|r| r.line == line)
            .unwrap()
            .result
            .as_ref()
            .unwrap_err()[0]
    };
    assert_eq!(issue(3).value, "2015-02-30");
    assert_eq!(issue(3).column, "出生日期");
    assert_eq!(issue(3).reason, "日期格式无法识别（期望 %Y%m%d、%Y-%m-%d）");
    assert_eq!(issue(5).reason, "身份证号校验位错误：应为X，实际为1");
    assert_eq!(issue(7).reason, "必填字段为空");
    assert_eq!(issue(7).column, "姓名");
    // The quarantined row still has its raw content.
    let bad = rows.iter().find(|r| r.line == 5).unwrap();
    assert_eq!(bad.raw["公民身份号码"], "110105194912310021");
}

#[test]
fn a_missing_mapped_column_fails_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "户号,公民身份号码,姓名,性别,户籍地区划\nH1,x,张三,男,330109001201\n";
    let path = write(dir.path(), "short.csv", text.as_bytes());
    let e = parse_file(&path, &mapping("")).unwrap_err();
    match &e {
        ReadError::MissingColumns { columns, .. } => assert_eq!(columns, &["出生日期", "现住网格"]),
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    for needle in ["short.csv", "police_household.toml", "出生日期", "现住网格"] {
        assert!(msg.contains(needle), "{needle} not in {msg}");
    }
}

#[test]
fn xlsx_with_a_title_row_and_date_cells_is_read() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("户籍人口.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("户籍").unwrap();
    sheet.write_string(0, 0, "2026年户籍人口登记表").unwrap();
    for (c, h) in HEADER.split(',').enumerate() {
        sheet.write_string(1, c as u16, h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let child = id(2015, 3, 8, 11);
    // Row 3: a real date cell, numbers for the household and region codes.
    sheet.write_number(2, 0, 1001).unwrap();
    sheet.write_string(2, 1, &child).unwrap();
    sheet.write_string(2, 2, "张三").unwrap();
    sheet.write_number(2, 3, 1).unwrap();
    sheet
        .write_datetime_with_format(2, 4, ExcelDateTime::from_ymd(2015, 3, 8).unwrap(), &date)
        .unwrap();
    sheet.write_number(2, 5, 330109001201_f64).unwrap();
    sheet.write_number(2, 6, 330109001201002_f64).unwrap();
    sheet.write_number(2, 7, 0.1 + 0.2).unwrap();
    // Row 4 left blank; row 5: the date as text in the mapping's format.
    sheet.write_string(4, 0, "H2").unwrap();
    sheet.write_string(4, 1, id(2010, 1, 1, 31)).unwrap();
    sheet.write_string(4, 2, "王五").unwrap();
    sheet.write_string(4, 3, "女").unwrap();
    sheet.write_string(4, 4, "20100101").unwrap();
    sheet.write_string(4, 5, "330109001201").unwrap();
    workbook.save(&path).unwrap();

    let m = Mapping {
        header_row: 2,
        sheet: Some("户籍".into()),
        ..mapping("")
    };
    let rows = parse_file(&path, &m).unwrap();
    assert_eq!(rows.headers().len(), 8);
    assert_eq!(rows.total_rows(), Some(3));
    let rows: Vec<ParsedRow> = rows.collect();
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5]);
    let first = member(&rows[0]);
    assert_eq!(first.household_no, "1001");
    assert_eq!(
        first.birth_date,
        NaiveDate::from_ymd_opt(2015, 3, 8).unwrap()
    );
    assert_eq!(first.hukou_region.as_str(), "330109001201");
    assert_eq!(
        first.residence_grid.as_ref().unwrap().as_str(),
        "330109001201002"
    );
    assert_eq!(rows[0].raw["出生日期"], "2015-03-08");
    assert_eq!(rows[0].raw["备注"], "0.3");
    let second = member(&rows[1]);
    assert_eq!(second.sex, Sex::Female);

    // A sheet that is not there.
    let wrong = Mapping {
        sheet: Some("学籍".into()),
        ..m
    };
    let e = parse_file(&path, &wrong).unwrap_err();
    assert!(matches!(e, ReadError::SheetNotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("户籍"), "{e}");
}

#[test]
fn a_redelivered_row_hashes_the_same_wherever_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", household_csv().as_bytes());
    let shifted = format!("公安局导出 2026-05\n\n{}", household_csv());
    let b = write(dir.path(), "b_resent.csv", shifted.as_bytes());
    let (_, first) = parse(&a, &mapping(""));
    let resent = Mapping {
        header_row: 3,
        ..mapping("")
    };
    let (_, second) = parse(&b, &resent);
    assert_eq!(first.len(), second.len());
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(x.line + 2, y.line);
        assert_eq!(x.content_hash, y.content_hash);
    }
}

#[test]
fn files_that_are_not_what_they_claim_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let m = mapping("");

    let png = write(
        dir.path(),
        "photo.csv",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0\xff\xfe",
    );
    let e = parse_file(&png, &m).unwrap_err();
    assert!(matches!(e, ReadError::NotText { .. }), "{e:?}");
    assert!(e.to_string().contains("photo.csv"), "{e}");

    let fake = write(dir.path(), "fake.xlsx", household_csv().as_bytes());
    let e = parse_file(&fake, &m).unwrap_err();
    assert!(matches!(e, ReadError::NotXlsx { .. }), "{e:?}");
    assert!(e.to_string().contains("fake.xlsx"), "{e}");

    // A zip that is not a workbook.
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0u8; 64]);
    let broken = write(dir.path(), "broken.xlsx", &zip);
    let e = parse_file(&broken, &m).unwrap_err();
    assert!(
        matches!(e, ReadError::NotXlsx { .. } | ReadError::Xlsx { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("broken.xlsx"), "{e}");

    let pdf = write(dir.path(), "report.pdf", b"%PDF-1.4");
    let e = parse_file(&pdf, &m).unwrap_err();
    assert!(matches!(e, ReadError::UnsupportedFormat { .. }), "{e:?}");

    let e = parse_file(&dir.path().join("nowhere.csv"), &m).unwrap_err();
    assert!(matches!(e, ReadError::Io { .. }), "{e:?}");

    let empty = write(dir.path(), "empty.csv", b"");
    let e = parse_file(&empty, &m).unwrap_err();
    assert!(matches!(e, ReadError::NoHeader { .. }), "{e:?}");
}

#[test]
fn mapping_files_with_mistakes_are_refused_with_file_field_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, text: &str| -> MappingError {
        let path = write(dir.path(), name, text.as_bytes());
        Mapping::load(&path).unwrap_err()
    };

    let e = load(
        "unknown_field.toml",
        &format!("{HOUSEHOLD_MAPPING}[fields.blood_type]\ncolumn = \"血型\"\n"),
    );
    assert!(matches!(e, MappingError::UnknownField { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("unknown_field.toml") && msg.contains("blood_type"),
        "{msg}"
    );

    let e = load(
        "bad_enum.toml",
        &HOUSEHOLD_MAPPING.replace("\"男\" = \"male\"", "\"男\" = \"man\""),
    );
    let msg = e.to_string();
    assert!(msg.contains("bad_enum.toml"), "{msg}");
    assert!(msg.contains("字段 sex 的取值 man 无效"), "{msg}");

    let broken = HOUSEHOLD_MAPPING.replace("column = \"姓名\"", "column = \"姓名");
    let line = broken.lines().position(|l| l.contains("\"姓名")).unwrap() + 1;
    let e = load("broken.toml", &broken);
    match &e {
        MappingError::Syntax { line: Some(l), .. } => assert_eq!(*l, line),
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("broken.toml") && msg.contains(&format!("第 {line} 行")),
        "{msg}"
    );

    let e = Mapping::load(&dir.path().join("absent.toml")).unwrap_err();
    assert!(matches!(e, MappingError::Io { .. }));
}
