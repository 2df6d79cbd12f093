//! Tests over the files `generate` writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::NaiveDate;
use humiao_core::policy::Category;
use humiao_core::{CitizenId, Department, RecordKind, RegionLevel};
use humiao_demo::{generate, DemoConfig, DemoCounty, Scenario, TruthChild};

fn config(children: usize, seed: u64) -> DemoConfig {
    DemoConfig {
        children,
        seed,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    }
}

fn run(children: usize, seed: u64) -> (tempfile::TempDir, DemoCounty) {
    let dir = tempfile::tempdir().unwrap();
    let county = generate(&config(children, seed), dir.path()).unwrap();
    (dir, county)
}

/// Every file under `dir`, relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn file_of(county: &DemoCounty, kind: &str) -> PathBuf {
    county
        .imports
        .iter()
        .find(|spec| {
            let text = fs::read_to_string(&spec.mapping).unwrap();
            text.contains(&format!("record_kind = \"{kind}\""))
        })
        .map(|spec| spec.files[0].clone())
        .unwrap()
}

/// Header and rows of a CSV file, decoding GBK when the bytes are not UTF-8.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = fs::read(path).unwrap();
    let text = match std::str::from_utf8(&bytes) {
        Ok(s) => s.trim_start_matches('\u{FEFF}').to_string(),
        Err(_) => {
            let (text, _, errors) = encoding_rs::GBK.decode(&bytes);
            assert!(!errors);
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn read_xlsx(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    assert_eq!(range.start(), Some((0, 0)));
    range.rows().map(|r| r.to_vec()).collect()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let (a, county_a) = run(800, 42);
    let (b, _) = run(800, 42);
    let (c, _) = run(800, 43);
    let snap_a = snapshot(a.path());
    assert_eq!(snap_a.len(), 15, "{:?}", snap_a.keys().collect::<Vec<_>>());
    assert_eq!(snap_a, snapshot(b.path()));
    let snap_c = snapshot(c.path());
    let register = file_of(&county_a, "household_member");
    let rel = register.strip_prefix(a.path()).unwrap();
    assert_ne!(snap_a[rel], snap_c[rel]);
    assert_ne!(snap_a, snap_c);
}

#[test]
fn ids_in_the_files_are_valid_except_the_deliberate_errors() {
    let (_dir, county) = run(1200, 7);
    let files: BTreeMap<&str, &humiao_demo::FileSummary> = county
        .summary
        .files
        .iter()
        .map(|f| (f.record_kind.as_str(), f))
        .collect();

    // 公安: every ID column parses, but for the rows broken on purpose.
    let (header, rows) = read_csv(&file_of(&county, "household_member"));
    let malformed = &files["household_member"].malformed_lines;
    assert!((2..=3).contains(&malformed.len()));
    let id_columns: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.ends_with("身份号码"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(id_columns.len(), 4);
    let mut broken = 0;
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        for &c in &id_columns {
            if row[c].is_empty() {
                assert!(c != id_columns[0], "line {line}: empty own ID");
                continue;
            }
            if CitizenId::parse(&row[c]).is_err() {
                assert!(malformed.contains(&line), "line {line}: {}", row[c]);
                broken += 1;
            }
        }
        if malformed.contains(&line) {
            let birth_ok = NaiveDate::parse_from_str(&row[4], "%Y%m%d").is_ok();
            assert!(!birth_ok || CitizenId::parse(&row[2]).is_err());
        }
    }
    assert!(broken >= 1);

    // 民政 payments (GBK, some legacy 15-digit), 司法, divorces: all IDs parse.
    let (_, rows) = read_csv(&file_of(&county, "assistance_payment"));
    let mut legacy = 0;
    for row in &rows {
        let id = CitizenId::parse(&row[2]).unwrap();
        if row[2].len() == 15 {
            legacy += 1;
            assert!(id.birth_date() < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap());
        }
    }
    assert!(legacy > 0, "some payments carry legacy 15-digit IDs");
    let (_, rows) = read_csv(&file_of(&county, "custody"));
    for row in &rows {
        CitizenId::parse(&row[2]).unwrap();
    }
    let (_, rows) = read_csv(&file_of(&county, "divorce"));
    for row in &rows {
        CitizenId::parse(&row[2]).unwrap();
        CitizenId::parse(&row[4]).unwrap();
    }
    // 卫健: IDs are valid or (for some) empty.
    let (header, rows) = read_csv(&file_of(&county, "illness_diagnosis"));
    let id_col = header.iter().position(|h| h == "身份证号").unwrap();
    let mut empty = 0;
    for row in &rows {
        if row[id_col].is_empty() {
            empty += 1;
        } else {
            CitizenId::parse(&row[id_col]).unwrap();
        }
    }
    assert!(
        empty >= 1 && empty * 3 < rows.len(),
        "{empty} of {}",
        rows.len()
    );
    // 残联: the first 18 characters of the 20-character certificate number.
    let (_, rows) = read_csv(&file_of(&county, "disability_certificate"));
    for row in &rows {
        assert_eq!(row[0].len(), 20);
        CitizenId::parse(&row[0][..18]).unwrap();
    }

    // 教育: IDs are valid, empty, or (exactly the counted ones) mistyped.
    let data = read_xlsx(&file_of(&county, "student_enrolment"), "学籍花名册");
    let mut mistyped = 0;
    let mut empty = 0;
    let mut doubtful = 0;
    for row in &data[2..] {
        let id = cell_text(&row[2]);
        // A pupil re-entered by a new school without the ID (student number ending in Z): the
        // linker sends these to clerical review.
        if cell_text(&row[0]).ends_with('Z') {
            assert!(id.is_empty());
            doubtful += 1;
            continue;
        }
        if id.is_empty() {
            empty += 1;
        } else if CitizenId::parse(&id).is_err() {
            mistyped += 1;
        }
    }
    assert!(doubtful >= 5, "{doubtful}");
    let scenarios = &county.summary.scenarios;
    assert!(empty >= scenarios[&Scenario::NoIdAtSchool]);
    assert!(mistyped >= scenarios[&Scenario::MistypedIdAtSchool]);
    // Noise rows are copies of real rows, so at most that many extra of each.
    let noise = files["student_enrolment"].malformed_lines.len();
    assert!(
        empty + mistyped
            <= scenarios[&Scenario::NoIdAtSchool]
                + scenarios[&Scenario::MistypedIdAtSchool]
                + noise
    );
}

#[test]
fn the_payments_file_is_gbk_not_utf8() {
    let (_dir, county) = run(600, 3);
    let bytes = fs::read(file_of(&county, "assistance_payment")).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err());
    let (text, encoding, errors) = encoding_rs::GBK.decode(&bytes);
    assert_eq!(encoding, encoding_rs::GBK);
    assert!(!errors);
    assert!(text.starts_with("序号,姓名,身份证号,救助类型,发放年月,发放金额"));
    assert!(text.contains("低保"));
    assert!(text.contains("事实无人抚养儿童生活补贴"));
    assert!(text.contains("\"1,900.00\""));
}

/// Keys docs/mapping.md allows, per record kind.
fn allowed_fields(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::HouseholdMember => &[
            "household_no",
            "citizen_id",
            "name",
            "sex",
            "birth_date",
            "relation_to_head",
            "hukou_region",
            "hukou_address",
            "residence_grid",
            "residence_address",
            "father_citizen_id",
            "father_name",
            "mother_citizen_id",
            "mother_name",
            "guardian_citizen_id",
            "guardian_name",
            "status",
            "status_date",
            "outflow_reason",
            "outflow_since",
            "outflow_destination",
            "residence_since",
        ],
        RecordKind::StudentEnrolment => &[
            "student_no",
            "citizen_id",
            "name",
            "sex",
            "birth_date",
            "school",
            "grade",
            "guardian_name",
            "guardian_phone",
            "address",
        ],
        RecordKind::AssistancePayment => &["citizen_id", "name", "assistance", "month", "amount"],
        RecordKind::Custody => &[
            "citizen_id",
            "name",
            "sex",
            "birth_date",
            "measure",
            "start",
            "end",
            "facility",
        ],
        RecordKind::DisabilityCertificate => &[
            "certificate_no",
            "citizen_id",
            "name",
            "sex",
            "category",
            "grade",
            "issued_on",
        ],
        RecordKind::Divorce => &[
            "record_no",
            "husband_name",
            "husband_citizen_id",
            "wife_name",
            "wife_citizen_id",
            "date",
            "channel",
        ],
        RecordKind::IllnessDiagnosis => &[
            "record_no",
            "citizen_id",
            "name",
            "sex",
            "birth_date",
            "illness",
            "diagnosed_on",
            "ended_on",
        ],
        RecordKind::Event => &[],
    }
}

/// Required fields (R in docs/mapping.md).
fn required_fields(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::HouseholdMember => &[
            "household_no",
            "citizen_id",
            "name",
            "sex",
            "birth_date",
            "hukou_region",
        ],
        RecordKind::StudentEnrolment => &["student_no", "name", "birth_date", "school"],
        RecordKind::AssistancePayment => &["name", "assistance", "month", "amount"],
        RecordKind::Custody => &["name", "measure", "start"],
        RecordKind::DisabilityCertificate => &["certificate_no", "name", "category", "grade"],
        RecordKind::Divorce => &["record_no", "husband_name", "wife_name", "date", "channel"],
        RecordKind::IllnessDiagnosis => &["record_no", "name", "illness", "diagnosed_on"],
        RecordKind::Event => &[],
    }
}

#[test]
fn mappings_follow_the_documented_format_and_name_existing_columns() {
    let (_dir, county) = run(600, 11);
    assert_eq!(county.imports.len(), 7);
    assert_eq!(county.imports[0].department, Department::Police);
    for spec in &county.imports {
        let text = fs::read_to_string(&spec.mapping).unwrap();
        let value: toml::Table = toml::from_str(&text).unwrap();
        for key in value.keys() {
            assert!(
                [
                    "name",
                    "department",
                    "record_kind",
                    "encoding",
                    "delimiter",
                    "sheet",
                    "header_row",
                    "fields"
                ]
                .contains(&key.as_str()),
                "unknown top-level key {key} in {}",
                spec.mapping.display()
            );
        }
        assert!(value["name"].as_str().is_some_and(|s| !s.is_empty()));
        let department = Department::parse(value["department"].as_str().unwrap()).unwrap();
        assert_eq!(department, spec.department);
        let kind = RecordKind::parse(value["record_kind"].as_str().unwrap()).unwrap();
        if let Some(enc) = value.get("encoding") {
            assert!(["auto", "utf-8", "gbk"].contains(&enc.as_str().unwrap()));
        }
        let fields = value["fields"].as_table().unwrap();
        for required in required_fields(kind) {
            if kind == RecordKind::DisabilityCertificate && *required == "citizen_id" {
                continue;
            }
            assert!(
                fields.contains_key(*required),
                "{} lacks {required}",
                spec.mapping.display()
            );
        }
        let mut columns = Vec::new();
        for (field, def) in fields {
            assert!(
                allowed_fields(kind).contains(&field.as_str()),
                "{field} is not a field of {kind:?}"
            );
            let def = def.as_table().unwrap();
            for key in def.keys() {
                assert!(
                    ["column", "format", "formats", "values", "required", "default"]
                        .contains(&key.as_str()),
                    "unknown key {key} in field {field}"
                );
            }
            if let Some(values) = def.get("values") {
                for v in values.as_table().unwrap().values() {
                    assert!(v.is_str(), "values map to strings");
                }
            }
            columns.push(def["column"].as_str().unwrap().to_string());
        }
        let data = &spec.files[0];
        let header: Vec<String> = if data.extension().is_some_and(|e| e == "xlsx") {
            let sheet = value["sheet"].as_str().unwrap();
            let header_row = value["header_row"].as_integer().unwrap() as usize;
            assert_eq!(header_row, 2);
            let rows = read_xlsx(data, sheet);
            assert!(cell_text(&rows[0][0]).contains("学籍花名册"), "title row");
            rows[header_row - 1].iter().map(cell_text).collect()
        } else {
            read_csv(data).0
        };
        for column in &columns {
            assert!(
                header.iter().any(|h| h.trim() == column),
                "column {column} of {} not in {}",
                spec.mapping.display(),
                data.display()
            );
        }
    }
}

#[test]
fn every_scenario_and_category_occurs_in_a_county_of_2000_children() {
    let (dir, county) = run(2000, 2026);
    let summary = &county.summary;
    assert_eq!(summary.children, 2000);
    for s in Scenario::ALL {
        assert!(summary.scenarios[&s] > 0, "no child with {s:?}");
    }
    for c in Category::ALL {
        assert!(summary.categories[&c] > 0, "no child in {c:?}");
    }
    // Files 2–6 each have a few malformed rows; the register two or three.
    for f in &summary.files {
        assert!(!f.malformed_lines.is_empty(), "{}", f.path);
        assert!(f.rows > f.malformed_lines.len());
    }
    // The boundary children.
    let find = |s: Scenario| -> &TruthChild {
        county
            .truth
            .iter()
            .find(|t| t.scenarios.contains(&s))
            .unwrap()
    };
    let aged17 = find(Scenario::Aged17TurnsEighteenTomorrow);
    assert_eq!(aged17.age, 17);
    assert!(aged17.expected.contains(&Category::DeFactoUnsupported));
    let adult = find(Scenario::Turned18Yesterday);
    assert_eq!(adult.age, 18);
    // Still paid after turning 18: 不应保而保.
    assert_eq!(adult.expected, vec![Category::ReceivingNotEntitled]);
    assert!(adult.scenarios.contains(&Scenario::AllowancePaid));
    for t in county
        .truth
        .iter()
        .filter(|t| t.scenarios.contains(&Scenario::SentenceFiveMonths))
    {
        assert!(!t.expected.contains(&Category::DeFactoUnsupported));
    }
    // About 60% of the entitled receive their allowance.
    let entitled =
        summary.categories[&Category::Orphan] + summary.categories[&Category::DeFactoUnsupported];
    let unpaid = summary.categories[&Category::EntitledNotReceiving];
    assert!(unpaid * 5 >= entitled, "{unpaid} of {entitled}");
    assert!(unpaid * 5 <= entitled * 3, "{unpaid} of {entitled}");

    // truth.json holds the same truth.
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("truth.json")).unwrap()).unwrap();
    let children: Vec<TruthChild> = serde_json::from_value(json["children"].clone()).unwrap();
    assert_eq!(children, county.truth);
    let summary_back: humiao_demo::DemoSummary =
        serde_json::from_value(json["summary"].clone()).unwrap();
    assert_eq!(&summary_back, summary);
}

#[test]
fn regions_list_parents_first_with_rural_flags() {
    let (_dir, county) = run(300, 5);
    let regions = &county.regions;
    assert_eq!(regions[0].level(), RegionLevel::County);
    assert_eq!(regions[0].name, "护苗县");
    let mut seen = std::collections::BTreeSet::new();
    for r in regions {
        if let Some(parent) = r.code.parent() {
            assert!(seen.contains(&parent));
        }
        seen.insert(r.code.clone());
    }
    let villages: Vec<_> = regions
        .iter()
        .filter(|r| r.level() == RegionLevel::Village)
        .collect();
    for v in &villages {
        assert_eq!(v.rural, v.name.ends_with('村'), "{}", v.name);
        assert!(v.rural || v.name.ends_with("社区"));
    }
    let towns = regions
        .iter()
        .filter(|r| r.level() == RegionLevel::Town)
        .count();
    assert_eq!(towns, 6);
    assert!(villages.len() >= 30);
}

#[test]
fn school_roll_mixes_date_cells_and_text_dates() {
    let (_dir, county) = run(800, 8);
    let rows = read_xlsx(&file_of(&county, "student_enrolment"), "学籍花名册");
    let births: Vec<&Data> = rows[2..].iter().map(|r| &r[4]).collect();
    assert!(births.iter().any(|d| matches!(d, Data::DateTime(_))));
    assert!(births
        .iter()
        .any(|d| matches!(d, Data::String(s) if s.len() == 10 && s.as_bytes()[4] == b'.')));
    let phones_fake = rows[2..].iter().all(|r| {
        let p = cell_text(&r[8]);
        p.is_empty() || (p.len() == 11 && &p[3..7] == "0000")
    });
    assert!(phones_fake);
}

#[test]
fn the_health_file_lists_diagnoses_with_realistic_noise() {
    let (_dir, county) = run(1500, 12);
    let path = file_of(&county, "illness_diagnosis");
    assert!(path.ends_with("departments/health/重病诊断_护苗县.csv"));
    let bytes = fs::read(&path).unwrap();
    assert!(bytes.starts_with("\u{FEFF}".as_bytes()), "BOM");
    assert!(String::from_utf8(bytes).unwrap().contains("\r\n"), "CRLF");
    let summary = county
        .summary
        .files
        .iter()
        .find(|f| f.record_kind == "illness_diagnosis")
        .unwrap();
    assert_eq!(summary.department, Department::Health);
    assert!(summary.malformed_lines.len() >= 3);
    let (header, rows) = read_csv(&path);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (sex, diagnosed, ended, illness) = (
        col("性别"),
        col("确诊日期"),
        col("治愈/终止日期"),
        col("疾病名称"),
    );
    let date = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
            .ok()
    };
    let as_of = county.summary.as_of;
    let mut cured = 0;
    let mut slashes = 0;
    let mut coded_sex = 0;
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        if summary.malformed_lines.contains(&line) {
            continue;
        }
        assert!(!row[illness].is_empty(), "line {line}");
        let d = date(&row[diagnosed]).unwrap_or_else(|| panic!("line {line}"));
        assert!(d < as_of);
        if row[diagnosed].contains('/') {
            slashes += 1;
        }
        if ["1", "2"].contains(&row[sex].as_str()) {
            coded_sex += 1;
        }
        if !row[ended].is_empty() {
            let e = date(&row[ended]).unwrap();
            assert!(d < e && e < as_of, "line {line}");
            cured += 1;
        }
    }
    assert!(cured >= 2, "{cured}");
    assert!(slashes >= 1 && coded_sex >= 1);
    assert!(rows
        .iter()
        .any(|r| r[illness] == "先天性心脏病" || r[illness].contains("白血病")));

    // 公安: 居住登记日期 only next to a residence, and only for 人户分离.
    let (header, rows) = read_csv(&file_of(&county, "household_member"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (hukou, grid, since) = (
        col("户籍地区划代码"),
        col("现居住网格"),
        col("居住登记日期"),
    );
    let mut dated = 0;
    for row in &rows {
        if row[since].is_empty() {
            continue;
        }
        dated += 1;
        assert!(!row[grid].is_empty());
        assert_ne!(&row[grid][..12], row[hukou].as_str());
        let d = NaiveDate::parse_from_str(&row[since], "%Y%m%d").unwrap();
        assert!(d <= as_of);
    }
    assert!(dated >= 20, "{dated}");
    let scenarios = &county.summary.scenarios;
    for s in [
        Scenario::MigrantSixMonths,
        Scenario::LivesAwayUnderSixMonths,
        Scenario::ResidenceExactlySixMonths,
        Scenario::ResidenceOneDayShort,
        Scenario::ResidenceDateMissing,
        Scenario::ChildSeriouslyIll,
        Scenario::ParentSeriouslyIll,
        Scenario::TekunFamily,
    ] {
        assert!(scenarios[&s] > 0, "{s:?}");
    }
    for c in [
        Category::Migrant,
        Category::SeriouslyIll,
        Category::AssistanceFamily,
        Category::PrisonersChild,
        Category::DisabledChild,
        Category::DifficultyDisability,
        Category::DifficultyGuardianship,
    ] {
        assert!(county.summary.categories[&c] >= 5, "{c:?}");
    }
    // Staged boundaries: exactly 6 months is 流动儿童, a day short is not.
    for t in &county.truth {
        if t.scenarios.contains(&Scenario::ResidenceExactlySixMonths) {
            assert!(t.expected.contains(&Category::Migrant), "{}", t.name);
        }
        if t.scenarios.contains(&Scenario::ResidenceOneDayShort)
            || t.scenarios.contains(&Scenario::ResidenceDateMissing)
        {
            assert!(!t.expected.contains(&Category::Migrant), "{}", t.name);
        }
    }
}
