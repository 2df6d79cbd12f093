use super::*;
use humiao_core::records::{
    AssistanceType, DisabilityCategory, DivorceChannel, OutflowReason, RegisterStatus,
};
use proptest::prelude::*;

use crate::schema;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn id(birth: NaiveDate, seq: u16) -> String {
    CitizenId::from_parts("330109", birth, seq)
        .unwrap()
        .to_string()
}

/// A mapping that maps every field of `kind` to a column named like the field.
fn full_mapping(kind: RecordKind, extra: &str) -> (Mapping, HeaderIndex) {
    let mut text = format!(
        "name = \"t\"\ndepartment = \"police\"\nrecord_kind = \"{}\"\n",
        kind.code()
    );
    for f in schema::fields(kind) {
        text.push_str(&format!("[fields.{0}]\ncolumn = \"{0}\"\n", f.name));
        if f.name == "sex" {
            text.push_str("values = { \"男\" = \"male\", \"女\" = \"female\" }\n");
        }
    }
    text.push_str(extra);
    let mapping = Mapping::from_toml_str(&text, "t.toml").unwrap();
    let headers: Vec<String> = schema::fields(kind)
        .iter()
        .map(|f| f.name.to_string())
        .collect();
    let index = HeaderIndex::new(&headers, &mapping, "t.csv").unwrap();
    (mapping, index)
}

/// A row for `full_mapping`, with the given cells by field name (others empty).
fn row(kind: RecordKind, cells: &[(&str, &str)]) -> RawRow {
    RawRow {
        line: 2,
        cells: schema::fields(kind)
            .iter()
            .map(|f| {
                cells
                    .iter()
                    .find(|(n, _)| *n == f.name)
                    .map_or(String::new(), |(_, v)| v.to_string())
            })
            .collect(),
    }
}

fn household_cells(child: &str, father: &str) -> Vec<(&'static str, String)> {
    vec![
        ("household_no", "H001".into()),
        ("citizen_id", child.into()),
        ("name", " 张 小明 ".into()),
        ("sex", "男".into()),
        ("birth_date", "2015-03-08".into()),
        ("hukou_region", "330109001201".into()),
        ("residence_grid", "330109001201002".into()),
        ("father_citizen_id", father.into()),
        ("father_name", "张大山".into()),
        ("outflow_reason", "work".into()),
        ("outflow_since", "2024/02/01".into()),
        ("residence_since", "2023-09-01".into()),
    ]
}

fn as_refs<'a>(cells: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    cells.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_household_row_becomes_a_record() {
    let kind = RecordKind::HouseholdMember;
    let (mapping, index) = full_mapping(kind, "");
    let child = id(ymd(2015, 3, 8), 11);
    let father = id(ymd(1985, 1, 2), 31);
    let cells = household_cells(&child, &father);
    let valid = validate_row(&mapping, &index, &row(kind, &as_refs(&cells))).unwrap();
    assert!(valid.warnings.is_empty());
    let DepartmentRecord::HouseholdMember(m) = valid.record else {
        panic!("wrong kind");
    };
    assert_eq!(m.citizen_id.unwrap().as_str(), child);
    assert_eq!(m.name.as_str(), "张小明");
    assert_eq!(m.sex, Sex::Male);
    assert_eq!(m.birth_date, ymd(2015, 3, 8));
    assert_eq!(m.hukou_region.as_str(), "330109001201");
    assert_eq!(m.residence_grid.unwrap().as_str(), "330109001201002");
    assert_eq!(m.father.citizen_id.unwrap().as_str(), father);
    assert_eq!(m.father.name.unwrap().as_str(), "张大山");
    assert!(m.mother.is_empty());
    // Not in the row: the schema default.
    assert_eq!(m.status, RegisterStatus::Normal);
    assert_eq!(m.outflow_reason, Some(OutflowReason::Work));
    assert_eq!(m.outflow_since, Some(ymd(2024, 2, 1)));
    assert_eq!(m.residence_since, Some(ymd(2023, 9, 1)));
    assert_eq!(m.relation_to_head, None);
}

#[test]
fn every_problem_of_a_row_is_reported() {
    let kind = RecordKind::HouseholdMember;
    let (mapping, index) = full_mapping(kind, "");
    let mut cells = household_cells("110105194912310021", "");
    for (k, v) in &mut cells {
        match *k {
            "name" => *v = "  ".into(),
            "birth_date" => *v = "2015-13-45".into(),
            "hukou_region" => *v = "330109001000".into(),
            "residence_grid" => *v = "330109001201".into(),
            "sex" => *v = "M".into(),
            "outflow_reason" => *v = "holiday".into(),
            _ => {}
        }
    }
    let issues = validate_row(&mapping, &index, &row(kind, &as_refs(&cells))).unwrap_err();
    let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "citizen_id",
            "name",
            "sex",
            "birth_date",
            "hukou_region",
            "residence_grid",
            "outflow_reason"
        ]
    );
    let by = |f: &str| issues.iter().find(|i| i.field == f).unwrap();
    assert_eq!(
        by("citizen_id").reason,
        "身份证号校验位错误：应为X，实际为1"
    );
    assert_eq!(by("citizen_id").value, "110105194912310021");
    assert_eq!(by("citizen_id").column, "citizen_id");
    assert_eq!(by("name").reason, "必填字段为空");
    assert!(by("birth_date")
        .reason
        .starts_with("日期格式无法识别（期望 %Y-%m-%d"));
    assert!(
        by("hukou_region").reason.contains("乡镇"),
        "{}",
        by("hukou_region").reason
    );
    assert!(by("sex").reason.contains("取值表"));
    assert!(by("outflow_reason").reason.contains("work、study、other"));
}

#[test]
fn an_invalid_optional_id_is_dropped_with_a_warning() {
    let kind = RecordKind::HouseholdMember;
    let (mapping, index) = full_mapping(kind, "");
    let child = id(ymd(2015, 3, 8), 11);
    let cells = household_cells(&child, "12345");
    let valid = validate_row(&mapping, &index, &row(kind, &as_refs(&cells))).unwrap();
    assert_eq!(valid.warnings.len(), 1);
    let w = &valid.warnings[0];
    assert_eq!(
        (w.field.as_str(), w.value.as_str()),
        ("father_citizen_id", "12345")
    );
    assert!(
        w.reason.starts_with("身份证号长度应为18位或15位"),
        "{}",
        w.reason
    );
    let DepartmentRecord::HouseholdMember(m) = valid.record else {
        panic!()
    };
    assert_eq!(m.father.citizen_id, None);
    assert_eq!(m.father.name.unwrap().as_str(), "张大山");
}

#[test]
fn a_required_id_can_be_made_optional() {
    let kind = RecordKind::HouseholdMember;
    let mut text =
        String::from("name = \"t\"\ndepartment = \"police\"\nrecord_kind = \"household_member\"\n");
    for f in ["household_no", "name", "birth_date", "hukou_region"] {
        text.push_str(&format!("[fields.{f}]\ncolumn = \"{f}\"\n"));
    }
    text.push_str("[fields.citizen_id]\ncolumn = \"citizen_id\"\nrequired = false\n");
    text.push_str("[fields.sex]\ncolumn = \"sex\"\n");
    let mapping = Mapping::from_toml_str(&text, "t.toml").unwrap();
    let headers: Vec<String> = [
        "household_no",
        "citizen_id",
        "name",
        "sex",
        "birth_date",
        "hukou_region",
    ]
    .map(String::from)
    .to_vec();
    let index = HeaderIndex::new(&headers, &mapping, "t.csv").unwrap();
    let r = RawRow {
        line: 3,
        cells: ["H1", "", "李四", "female", "20100101", "330109001201"]
            .map(String::from)
            .to_vec(),
    };
    let valid = validate_row(&mapping, &index, &r).unwrap();
    assert_eq!(valid.record.kind(), kind);
    let DepartmentRecord::HouseholdMember(m) = valid.record else {
        panic!()
    };
    assert_eq!(m.citizen_id, None);
    assert_eq!(m.sex, Sex::Female);
    assert_eq!(m.birth_date, ymd(2010, 1, 1));
}

#[test]
fn wrong_cell_count_fails_the_row_but_trailing_empty_cells_do_not() {
    let kind = RecordKind::Divorce;
    let (mapping, index) = full_mapping(kind, "");
    let mut r = row(
        kind,
        &[
            ("record_no", "L1"),
            ("husband_name", "王强"),
            ("wife_name", "李梅"),
            ("date", "2026年1月5日"),
            ("channel", "registration"),
        ],
    );
    r.cells.push(String::new());
    r.cells.push(" ".into());
    let valid = validate_row(&mapping, &index, &r).unwrap();
    let DepartmentRecord::Divorce(d) = valid.record else {
        panic!()
    };
    assert_eq!(d.date, ymd(2026, 1, 5));
    assert_eq!(d.channel, DivorceChannel::Registration);
    assert_eq!(d.wife.name.unwrap().as_str(), "李梅");

    r.cells.push("x".into());
    let issues = validate_row(&mapping, &index, &r).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, ROW_FIELD);
    assert!(
        issues[0].reason.contains("表头有 7 列"),
        "{}",
        issues[0].reason
    );
    r.cells.truncate(3);
    assert_eq!(
        validate_row(&mapping, &index, &r).unwrap_err()[0].field,
        ROW_FIELD
    );
}

#[test]
fn a_default_fills_a_missing_column() {
    let text = r#"
name = "民政离婚登记"
department = "民政"
record_kind = "divorce"
[fields.record_no]
column = "登记号"
[fields.husband_name]
column = "男方"
[fields.wife_name]
column = "女方"
[fields.date]
column = "登记日期"
formats = ["%Y%m%d"]
[fields.channel]
default = "registration"
"#;
    let mapping = Mapping::from_toml_str(text, "d.toml").unwrap();
    let headers: Vec<String> = ["登记号", "男方", "女方", "登记日期"]
        .map(String::from)
        .to_vec();
    let index = HeaderIndex::new(&headers, &mapping, "d.csv").unwrap();
    let r = RawRow {
        line: 2,
        cells: ["A1", "王强", "李梅", "20260105"]
            .map(String::from)
            .to_vec(),
    };
    let DepartmentRecord::Divorce(d) = validate_row(&mapping, &index, &r).unwrap().record else {
        panic!()
    };
    assert_eq!(d.channel, DivorceChannel::Registration);
    // The configured format only, plus ISO dates (XLSX date cells).
    let iso = RawRow {
        cells: ["A1", "王强", "李梅", "2026-01-05"]
            .map(String::from)
            .to_vec(),
        ..r.clone()
    };
    assert!(validate_row(&mapping, &index, &iso).is_ok());
    let slashed = RawRow {
        cells: ["A1", "王强", "李梅", "2026/01/05"]
            .map(String::from)
            .to_vec(),
        ..r
    };
    let issues = validate_row(&mapping, &index, &slashed).unwrap_err();
    assert_eq!(issues[0].reason, "日期格式无法识别（期望 %Y%m%d）");
    assert_eq!(issues[0].column, "登记日期");
}

#[test]
fn assistance_months_and_money() {
    let kind = RecordKind::AssistancePayment;
    let (mapping, index) = full_mapping(kind, "");
    let ok = |month: &str, amount: &str| {
        let r = row(
            kind,
            &[
                ("name", "王芳"),
                ("assistance", "orphan_allowance"),
                ("month", month),
                ("amount", amount),
            ],
        );
        match validate_row(&mapping, &index, &r) {
            Ok(ValidRow {
                record: DepartmentRecord::AssistancePayment(p),
                ..
            }) => Ok((p.month, p.amount_fen, p.assistance)),
            Ok(_) => panic!(),
            Err(issues) => Err(issues),
        }
    };
    assert_eq!(
        ok("202603", "1,234.50").unwrap(),
        (ymd(2026, 3, 1), 123_450, AssistanceType::OrphanAllowance)
    );
    assert_eq!(ok("2026年3月", "￥1234").unwrap().1, 123_400);
    assert_eq!(ok("2026-03-17", "0.05").unwrap().0, ymd(2026, 3, 1));
    let issues = ok("2026/3", "12.345").unwrap_err();
    assert_eq!(issues.len(), 2);
    assert!(issues[0].reason.starts_with("年月格式无法识别"));
    assert_eq!(issues[1].reason, "金额最多两位小数");
}

#[test]
fn disability_certificates() {
    let kind = RecordKind::DisabilityCertificate;
    let extra = "";
    let (mapping, index) = full_mapping(kind, extra);
    let holder = id(ymd(2012, 7, 1), 42);
    let cert = format!("{holder}24");
    let r = row(
        kind,
        &[
            ("certificate_no", &cert),
            ("name", "赵小红"),
            ("category", "physical"),
            ("grade", "2"),
            ("issued_on", "2020.05.06"),
        ],
    );
    let valid = validate_row(&mapping, &index, &r).unwrap();
    let DepartmentRecord::DisabilityCertificate(c) = valid.record else {
        panic!()
    };
    assert_eq!(c.citizen_id.unwrap().as_str(), holder);
    assert_eq!(c.category, DisabilityCategory::Physical);
    assert_eq!(c.grade, 2);
    assert_eq!(c.issued_on, Some(ymd(2020, 5, 6)));

    // A certificate number that does not start with a valid ID gives no ID, silently.
    let r = row(
        kind,
        &[
            ("certificate_no", "CJZ-0001"),
            ("name", "赵小红"),
            ("category", "mental"),
            ("grade", "5"),
        ],
    );
    let issues = validate_row(&mapping, &index, &r).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, "grade");
    assert_eq!(issues[0].reason, "应为 1–4 之间的整数");
}

#[test]
fn illness_diagnoses() {
    let kind = RecordKind::IllnessDiagnosis;
    let (mapping, index) = full_mapping(kind, "");
    let patient = id(ymd(2016, 4, 9), 17);
    let r = row(
        kind,
        &[
            ("record_no", "WJ-2026-0001"),
            ("citizen_id", &patient),
            ("name", "钱小雨"),
            ("illness", "急性淋巴细胞白血病"),
            ("diagnosed_on", "2026年02月10日"),
        ],
    );
    let valid = validate_row(&mapping, &index, &r).unwrap();
    let DepartmentRecord::IllnessDiagnosis(c) = valid.record else {
        panic!()
    };
    assert_eq!(c.citizen_id.unwrap().as_str(), patient);
    assert_eq!(c.illness, "急性淋巴细胞白血病");
    assert_eq!(c.diagnosed_on, ymd(2026, 2, 10));
    assert_eq!(c.ended_on, None);

    // No diagnosis date: refused, naming the field.
    let r = row(
        kind,
        &[
            ("record_no", "WJ-2026-0002"),
            ("name", "钱小雨"),
            ("illness", "尿毒症"),
            ("diagnosed_on", "去年"),
        ],
    );
    let issues = validate_row(&mapping, &index, &r).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, "diagnosed_on");
}

#[test]
fn money_parsing() {
    assert_eq!(parse_money("1234.5"), Ok(123_450));
    assert_eq!(parse_money("1,234.50"), Ok(123_450));
    assert_eq!(parse_money("￥1234"), Ok(123_400));
    assert_eq!(parse_money("¥ 1 234.00 元"), Ok(123_400));
    assert_eq!(parse_money("-12.3"), Ok(-1_230));
    assert_eq!(parse_money("0.01"), Ok(1));
    assert_eq!(parse_money("12.300"), Ok(1_230));
    assert!(parse_money("12,34").is_err());
    assert!(parse_money("1,2345").is_err());
    assert!(parse_money("12.345").is_err());
    assert!(parse_money("abc").is_err());
    assert!(parse_money("").is_err());
    assert!(parse_money(".5").is_err());
    assert!(parse_money("1e3").is_err());
    assert_eq!(
        parse_money("99999999999999999999"),
        Err("金额超出范围".to_string())
    );
}

#[test]
fn dates_outside_any_plausible_range_are_refused() {
    let formats = vec!["%Y%m%d".to_string()];
    assert!(parse_date("00260105", &formats)
        .unwrap_err()
        .contains("超出合理范围"));
    assert_eq!(parse_date(" 20260105 ", &formats), Ok(ymd(2026, 1, 5)));
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

proptest! {
    #[test]
    fn money_round_trips_fen(fen in -1_000_000_000_000_000i64..1_000_000_000_000_000, style in 0u8..5) {
        let sign = if fen < 0 { "-" } else { "" };
        let (yuan, cents) = (fen.unsigned_abs() / 100, fen.unsigned_abs() % 100);
        let text = match style {
            0 => format!("{sign}{yuan}.{cents:02}"),
            1 => format!("{sign}{}.{cents:02}", group_thousands(yuan)),
            2 => format!("￥{sign}{yuan}.{cents:02}元"),
            3 if cents % 10 == 0 => format!("{sign}{yuan}.{}", cents / 10),
            _ if cents == 0 => format!("{sign}{yuan}"),
            _ => format!(" {sign}{yuan}.{cents:02} "),
        };
        prop_assert_eq!(parse_money(&text), Ok(fen), "{}", text);
    }

    #[test]
    fn validate_row_never_panics(
        kind_index in 0usize..RecordKind::ALL.len(),
        cells in proptest::collection::vec(
            prop_oneof![
                "\\PC{0,24}",
                "[0-9]{0,20}",
                "[0-9]{17}[0-9Xx]",
                "(19|20)[0-9]{2}[-/.]?[01][0-9][-/.]?[0-3][0-9]",
                "[-￥¥]?[0-9,]{0,12}(\\.[0-9]{0,4})?",
                Just("male".to_string()),
                Just("男".to_string()),
            ],
            0..30,
        ),
        line in 0usize..1_000_000,
    ) {
        let kind = RecordKind::ALL[kind_index];
        let (mapping, index) = full_mapping(kind, "");
        let row = RawRow { line, cells };
        match validate_row(&mapping, &index, &row) {
            Ok(valid) => prop_assert_eq!(valid.record.kind(), kind),
            Err(issues) => prop_assert!(!issues.is_empty()),
        }
    }
}
