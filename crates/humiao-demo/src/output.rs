//! The department files, each in its own layout, and their deliberate defects.

use chrono::{Datelike, NaiveDate};
use humiao_core::records::{AssistanceType, CustodyMeasure, DisabilityCategory, DivorceChannel};
use humiao_core::{Department, Sex};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};

use crate::mappings;
use crate::model::{OutflowReason, Person, RegisterDamage, Status, World, GRADES};
use crate::places::COUNTY_NAME;

/// Share of rows made malformed on purpose in files 2–6.
const NOISE_RATE: f64 = 0.003;

pub(crate) struct DataFile {
    pub department: Department,
    pub record_kind: &'static str,
    /// Relative to the output directory, `/`-separated.
    pub path: &'static str,
    pub mapping_path: &'static str,
    pub mapping: &'static str,
    pub bytes: Vec<u8>,
    pub rows: usize,
    /// 1-based lines (as a spreadsheet shows them) of the rows malformed on purpose.
    pub malformed_lines: Vec<usize>,
}

pub(crate) fn render(w: &World, rng: &mut ChaCha8Rng) -> anyhow::Result<Vec<DataFile>> {
    Ok(vec![
        household_register(w),
        enrolment(w, rng)?,
        payments(w, rng)?,
        custody(w, rng),
        disability(w, rng),
        divorces(w, rng),
        illnesses(w, rng),
    ])
}

fn sex_zh(sex: Sex) -> String {
    sex.label_zh().to_string()
}

fn ymd(d: NaiveDate, fmt: &str) -> String {
    d.format(fmt).to_string()
}

/// `1,900.00`
pub(crate) fn yuan(fen: i64) -> String {
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}.{:02}", fen % 100)
}

fn csv_bytes(header: &[&str], rows: &[Vec<String>], bom: bool, crlf: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice("\u{FEFF}".as_bytes());
    }
    {
        let mut builder = csv::WriterBuilder::new();
        if crlf {
            builder.terminator(csv::Terminator::CRLF);
        }
        let mut writer = builder.from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(header);
        for row in rows {
            let _ = writer.write_record(row);
        }
        let _ = writer.flush();
    }
    out
}

type Corruption<T> = fn(&mut T);

/// Inserts, after ~0.3% of the rows (at least one per kind of damage), a damaged copy of the
/// row, as a double entry with a typing error would look. Returns the rows and the 1-based lines
/// of the damaged copies, the first data row being on `first_line`.
fn add_noise<T: Clone>(
    rng: &mut ChaCha8Rng,
    rows: Vec<T>,
    corruptions: &[Corruption<T>],
    first_line: usize,
) -> (Vec<T>, Vec<usize>) {
    if rows.is_empty() {
        return (rows, Vec::new());
    }
    let k = ((rows.len() as f64 * NOISE_RATE).round() as usize)
        .max(corruptions.len())
        .min(rows.len());
    let mut picks = rand::seq::index::sample(rng, rows.len(), k).into_vec();
    picks.sort_unstable();
    let mut out = Vec::with_capacity(rows.len() + k);
    let mut lines = Vec::with_capacity(k);
    let mut next = picks.iter().peekable();
    let mut j = 0;
    for (i, row) in rows.into_iter().enumerate() {
        let damaged = next.peek().is_some_and(|&&p| p == i);
        if damaged {
            next.next();
            let mut copy = row.clone();
            corruptions[j % corruptions.len()](&mut copy);
            j += 1;
            out.push(row);
            out.push(copy);
            lines.push(first_line + out.len() - 1);
        } else {
            out.push(row);
        }
    }
    (out, lines)
}

fn id_or_empty(w: &World, p: Option<usize>) -> (String, String) {
    match p {
        Some(p) => (
            w.persons[p].name.clone(),
            w.persons[p].id.as_str().to_string(),
        ),
        None => (String::new(), String::new()),
    }
}

// ---------------------------------------------------------------------- 公安

const REGISTER_HEADER: [&str; 22] = [
    "户号",
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "与户主关系",
    "户籍地区划代码",
    "户籍地址",
    "现居住网格",
    "现住址",
    "居住登记日期",
    "父亲姓名",
    "父亲公民身份号码",
    "母亲姓名",
    "母亲公民身份号码",
    "监护人姓名",
    "监护人公民身份号码",
    "人员状态",
    "状态变更日期",
    "外出原因",
    "外出日期",
    "外出去向",
];

fn register_row(w: &World, p: usize) -> Vec<String> {
    let person: &Person = &w.persons[p];
    let hh = &w.households[person.household];
    let village = &w.places.villages[hh.village];
    let present = w.present(p);
    let (grid, res_address) = if present {
        let rv = &w.places.villages[hh.res_village];
        (rv.grids[hh.res_grid].code.clone(), hh.res_address.clone())
    } else if let Some(o) = &person.outflow {
        (String::new(), o.destination.to_string())
    } else {
        (String::new(), String::new())
    };
    let (father_name, father_id) = id_or_empty(w, person.father);
    let (mother_name, mother_id) = id_or_empty(w, person.mother);
    let guardian = if w.is_child(p) && crate::rules::is_minor(person, w) {
        w.register_guardian(p)
    } else {
        None
    };
    let (guardian_name, guardian_id) = id_or_empty(w, guardian);
    let (status, status_date) = match person.status {
        Status::Normal => ("正常", String::new()),
        Status::Dead(d) => ("死亡", ymd(d, "%Y%m%d")),
        Status::Missing(d) => ("失踪", ymd(d, "%Y%m%d")),
    };
    let (reason, since, dest) = match &person.outflow {
        Some(o) => (
            match o.reason {
                OutflowReason::Work => "务工",
                OutflowReason::Study => "求学",
            },
            ymd(o.since, "%Y%m%d"),
            o.destination.to_string(),
        ),
        None => ("", String::new(), String::new()),
    };
    let mut row = vec![
        hh.no.clone(),
        person.name.clone(),
        person.id.as_str().to_string(),
        sex_zh(person.sex),
        ymd(person.birth, "%Y%m%d"),
        person.relation.to_string(),
        village.code.clone(),
        hh.address.clone(),
        grid,
        res_address,
        w.residence_since(p)
            .map(|d| ymd(d, "%Y%m%d"))
            .unwrap_or_default(),
        father_name,
        father_id,
        mother_name,
        mother_id,
        guardian_name,
        guardian_id,
        status.to_string(),
        status_date,
        reason.to_string(),
        since,
        dest,
    ];
    if let Some((_, damage)) = w.register_damage.iter().find(|(c, _)| *c == p) {
        match damage {
            RegisterDamage::BadBirthDate => row[4] = format!("{}0230", person.birth.year()),
            RegisterDamage::BadCheckChar => {
                let id = person.id.as_str();
                let last = id.as_bytes()[17];
                let wrong = if last == b'0' { '1' } else { '0' };
                row[2] = format!("{}{wrong}", &id[..17]);
            }
            RegisterDamage::ShortId => row[2] = person.id.as_str()[..17].to_string(),
        }
    }
    row
}

fn household_register(w: &World) -> DataFile {
    let mut order: Vec<usize> = (0..w.households.len()).collect();
    order.sort_by(|&a, &b| w.households[a].no.cmp(&w.households[b].no));
    let mut rows = Vec::with_capacity(w.persons.len());
    let mut malformed_lines = Vec::new();
    for h in order {
        for &p in &w.households[h].members {
            if w.register_damage.iter().any(|(c, _)| *c == p) {
                malformed_lines.push(rows.len() + 2);
            }
            rows.push(register_row(w, p));
        }
    }
    DataFile {
        department: Department::Police,
        record_kind: "household_member",
        path: "departments/police/户籍人口_护苗县.csv",
        mapping_path: "mappings/police_household.toml",
        mapping: mappings::POLICE_HOUSEHOLD,
        rows: rows.len(),
        bytes: csv_bytes(&REGISTER_HEADER, &rows, true, true),
        malformed_lines,
    }
}

// ---------------------------------------------------------------------- 教育

/// The name with its last character replaced by a common homophone, when one is known.
fn homophone_name(name: &str) -> String {
    const PAIRS: [(char, char); 12] = [
        ('丽', '莉'),
        ('静', '婧'),
        ('伟', '玮'),
        ('明', '铭'),
        ('华', '桦'),
        ('军', '君'),
        ('涵', '晗'),
        ('轩', '萱'),
        ('怡', '宜'),
        ('佳', '嘉'),
        ('浩', '昊'),
        ('欣', '鑫'),
    ];
    let mut chars: Vec<char> = name.chars().collect();
    if let Some(last) = chars.last_mut() {
        if let Some((a, b)) = PAIRS.iter().find(|(a, b)| a == last || b == last) {
            *last = if last == a { *b } else { *a };
        }
    }
    chars.into_iter().collect()
}

const ENROLMENT_HEADER: [&str; 10] = [
    "学籍号",
    "学生姓名",
    "身份证件号",
    "性别",
    "出生日期",
    "学校名称",
    "年级",
    "监护人姓名",
    "联系电话",
    "家庭住址",
];

#[derive(Clone)]
enum Birth {
    Date(NaiveDate),
    Text(String),
}

#[derive(Clone)]
struct EnrolmentRow {
    cells: Vec<String>,
    birth: Birth,
}

fn enrolment(w: &World, rng: &mut ChaCha8Rng) -> anyhow::Result<DataFile> {
    let rows: Vec<EnrolmentRow> = w
        .students
        .iter()
        .map(|s| {
            let child = &w.persons[s.child];
            let birth = if s.birth_as_text {
                Birth::Text(ymd(child.birth, "%Y.%m.%d"))
            } else {
                Birth::Date(child.birth)
            };
            EnrolmentRow {
                cells: vec![
                    s.student_no.clone(),
                    s.name.clone(),
                    s.id_text.clone(),
                    sex_zh(child.sex),
                    String::new(),
                    s.school.clone(),
                    GRADES[s.grade_index].to_string(),
                    s.guardian_name.clone(),
                    s.phone.clone(),
                    s.address.clone(),
                ],
                birth,
            }
        })
        .collect();
    // A few doubtful rows, as when a pupil moves school and the new school types the name by ear
    // and the birth date from memory, without the ID: the linker cannot be sure, so these pairs
    // go to the centre's clerical review.
    let mut rows = rows;
    let doubtful: Vec<EnrolmentRow> = w
        .students
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 97 == 41)
        .map(|(_, s)| {
            let child = &w.persons[s.child];
            let shifted = child
                .birth
                .checked_add_months(chrono::Months::new(if rand::Rng::gen_bool(rng, 0.5) {
                    1
                } else {
                    2
                }))
                .unwrap_or(child.birth);
            EnrolmentRow {
                cells: vec![
                    format!("{}Z", s.student_no),
                    homophone_name(&s.name),
                    String::new(),
                    sex_zh(child.sex),
                    String::new(),
                    s.school.clone(),
                    GRADES[s.grade_index].to_string(),
                    s.guardian_name.clone(),
                    String::new(),
                    String::new(),
                ],
                birth: Birth::Date(shifted),
            }
        })
        .collect();
    rows.extend(doubtful);
    let corruptions: [Corruption<EnrolmentRow>; 2] = [
        |r| {
            let year = match &r.birth {
                Birth::Date(d) => d.year(),
                Birth::Text(t) => t.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2015),
            };
            r.birth = Birth::Text(format!("{year}.02.30"));
        },
        |r| r.cells[1] = String::new(),
    ];
    // Title on row 1, header on row 2, data from row 3.
    let (rows, malformed_lines) = add_noise(rng, rows, &corruptions, 3);

    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(
        w.as_of.year() as u16,
        w.as_of.month() as u8,
        w.as_of.day() as u8,
    )?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("护苗县中小学生学籍花名册")
            .set_author("护苗县教育局")
            .set_company("护苗县教育局")
            .set_creation_datetime(&created),
    );
    let sheet = workbook.add_worksheet();
    sheet.set_name("学籍花名册")?;
    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let header_format = Format::new().set_bold();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let school_year = if w.as_of.month() >= 9 {
        w.as_of.year()
    } else {
        w.as_of.year() - 1
    };
    sheet.merge_range(
        0,
        0,
        0,
        (ENROLMENT_HEADER.len() - 1) as u16,
        &format!(
            "{COUNTY_NAME}{school_year}学年中小学生学籍花名册（导出日期：{}）",
            w.as_of.format("%Y-%m-%d")
        ),
        &title_format,
    )?;
    for (c, h) in ENROLMENT_HEADER.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &header_format)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 2) as u32;
        for (c, cell) in row.cells.iter().enumerate() {
            if c == 4 {
                match &row.birth {
                    Birth::Date(d) => {
                        let dt = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        sheet.write_datetime_with_format(r, 4, &dt, &date_format)?;
                    }
                    Birth::Text(t) => {
                        sheet.write_string(r, 4, t)?;
                    }
                }
            } else if !cell.is_empty() {
                sheet.write_string(r, c as u16, cell)?;
            }
        }
    }
    for (c, width) in [22, 10, 20, 6, 12, 26, 8, 10, 14, 48].iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    let bytes = workbook.save_to_buffer()?;
    Ok(DataFile {
        department: Department::Education,
        record_kind: "student_enrolment",
        path: "departments/education/中小学生学籍_护苗县.xlsx",
        mapping_path: "mappings/education_enrolment.toml",
        mapping: mappings::EDUCATION_ENROLMENT,
        rows: rows.len(),
        bytes,
        malformed_lines,
    })
}

// ---------------------------------------------------------------------- 民政 救助

const PAYMENT_HEADER: [&str; 7] = [
    "序号",
    "姓名",
    "身份证号",
    "救助类型",
    "发放年月",
    "发放金额",
    "所属乡镇（街道）",
];

fn assistance_zh(a: AssistanceType) -> &'static str {
    match a {
        AssistanceType::Dibao => "低保",
        AssistanceType::Tekun => "特困",
        AssistanceType::OrphanAllowance => "孤儿基本生活费",
        AssistanceType::UnsupportedChildAllowance => "事实无人抚养儿童生活补贴",
    }
}

/// The ID as a legacy 15-digit number: the century digits and the check character dropped.
pub(crate) fn legacy15(id: &str) -> String {
    format!("{}{}", &id[..6], &id[8..17])
}

fn payments(w: &World, rng: &mut ChaCha8Rng) -> anyhow::Result<DataFile> {
    let mut order: Vec<usize> = (0..w.payments.len()).collect();
    order.sort_by_key(|&i| {
        let p = &w.payments[i];
        let hh = &w.households[w.persons[p.person].household];
        (p.month, p.assistance as u8, hh.no.clone(), p.person)
    });
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|&i| {
            let p = &w.payments[i];
            let person = &w.persons[p.person];
            let id = if person.legacy_id {
                legacy15(person.id.as_str())
            } else {
                person.id.as_str().to_string()
            };
            let hh = &w.households[person.household];
            let town = &w.places.towns[w.places.villages[hh.village].town].name;
            vec![
                String::new(),
                person.name.clone(),
                id,
                assistance_zh(p.assistance).to_string(),
                ymd(p.month, "%Y%m"),
                yuan(p.amount_fen),
                town.clone(),
            ]
        })
        .collect();
    let corruptions: [Corruption<Vec<String>>; 2] = [
        |r| r[1] = String::new(),
        |r| r[4] = format!("{}13", r[4].get(..4).unwrap_or("2026")),
    ];
    let (mut rows, malformed_lines) = add_noise(rng, rows, &corruptions, 2);
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = (i + 1).to_string();
    }
    let utf8 = csv_bytes(&PAYMENT_HEADER, &rows, false, true);
    let text = String::from_utf8(utf8)?;
    let (encoded, _, had_errors) = encoding_rs::GBK.encode(&text);
    anyhow::ensure!(!had_errors, "救助发放明细含有GBK无法表示的字符");
    Ok(DataFile {
        department: Department::CivilAffairs,
        record_kind: "assistance_payment",
        path: "departments/civil_affairs/救助资金发放明细_GBK.csv",
        mapping_path: "mappings/civil_affairs_payments.toml",
        mapping: mappings::CIVIL_AFFAIRS_PAYMENTS,
        rows: rows.len(),
        bytes: encoded.into_owned(),
        malformed_lines,
    })
}

// ---------------------------------------------------------------------- 司法

const CUSTODY_HEADER: [&str; 9] = [
    "罪犯编号",
    "罪犯姓名",
    "身份证号",
    "性别",
    "出生日期",
    "执行类别",
    "入监日期",
    "刑期止日",
    "监所名称",
];

fn custody(w: &World, rng: &mut ChaCha8Rng) -> DataFile {
    let mut spells: Vec<(usize, usize)> = w
        .persons
        .iter()
        .enumerate()
        .flat_map(|(p, person)| (0..person.custody.len()).map(move |s| (p, s)))
        .collect();
    spells.sort_by_key(|&(p, s)| (w.persons[p].custody[s].start, p));
    let rows: Vec<Vec<String>> = spells
        .iter()
        .map(|&(p, s)| {
            let person = &w.persons[p];
            let spell = &person.custody[s];
            vec![
                spell.prisoner_no.clone(),
                person.name.clone(),
                person.id.as_str().to_string(),
                sex_zh(person.sex),
                ymd(person.birth, "%Y-%m-%d"),
                match spell.measure {
                    CustodyMeasure::DrugRehabilitation => "强制隔离戒毒",
                    _ => "服刑",
                }
                .to_string(),
                ymd(spell.start, "%Y/%m/%d"),
                spell.end.map(|e| ymd(e, "%Y/%m/%d")).unwrap_or_default(),
                spell.facility.to_string(),
            ]
        })
        .collect();
    let corruptions: [Corruption<Vec<String>>; 2] = [
        |r| r[6] = format!("{}/02/30", r[6].get(..4).unwrap_or("2024")),
        |r| r[1] = String::new(),
    ];
    let (rows, malformed_lines) = add_noise(rng, rows, &corruptions, 2);
    DataFile {
        department: Department::Justice,
        record_kind: "custody",
        path: "departments/justice/在押服刑戒毒人员_护苗县.csv",
        mapping_path: "mappings/justice_custody.toml",
        mapping: mappings::JUSTICE_CUSTODY,
        rows: rows.len(),
        bytes: csv_bytes(&CUSTODY_HEADER, &rows, false, false),
        malformed_lines,
    }
}

// ---------------------------------------------------------------------- 残联

const DISABILITY_HEADER: [&str; 7] = [
    "残疾人证号",
    "姓名",
    "性别",
    "残疾类别",
    "残疾等级",
    "发证日期",
    "所属乡镇（街道）",
];

fn category_code(c: DisabilityCategory) -> (u8, &'static str) {
    match c {
        DisabilityCategory::Visual => (1, "视力"),
        DisabilityCategory::Hearing => (2, "听力"),
        DisabilityCategory::Speech => (3, "言语"),
        DisabilityCategory::Physical => (4, "肢体"),
        DisabilityCategory::Intellectual => (5, "智力"),
        DisabilityCategory::Mental => (6, "精神"),
        DisabilityCategory::Multiple => (7, "多重"),
    }
}

const GRADES_ZH: [&str; 4] = ["一级", "二级", "三级", "四级"];

fn disability(w: &World, rng: &mut ChaCha8Rng) -> DataFile {
    let mut holders: Vec<usize> = (0..w.persons.len())
        .filter(|&p| w.persons[p].disability.is_some())
        .collect();
    holders.sort_by_key(|&p| (w.persons[p].disability.map(|d| d.issued), p));
    let rows: Vec<Vec<String>> = holders
        .iter()
        .filter_map(|&p| {
            let person = &w.persons[p];
            let d = person.disability?;
            let (code, label) = category_code(d.category);
            let hh = &w.households[person.household];
            let town = &w.places.towns[w.places.villages[hh.village].town].name;
            Some(vec![
                format!("{}{code}{}", person.id.as_str(), d.grade),
                person.name.clone(),
                sex_zh(person.sex),
                label.to_string(),
                GRADES_ZH[usize::from(d.grade.clamp(1, 4)) - 1].to_string(),
                ymd(d.issued, "%Y-%m-%d"),
                town.clone(),
            ])
        })
        .collect();
    let corruptions: [Corruption<Vec<String>>; 2] =
        [|r| r[4] = "五级".to_string(), |r| r[1] = String::new()];
    let (rows, malformed_lines) = add_noise(rng, rows, &corruptions, 2);
    DataFile {
        department: Department::DisabledPersonsFederation,
        record_kind: "disability_certificate",
        path: "departments/disability/残疾人证持证名单_护苗县.csv",
        mapping_path: "mappings/disability_certificates.toml",
        mapping: mappings::DISABILITY_CERTIFICATES,
        rows: rows.len(),
        bytes: csv_bytes(&DISABILITY_HEADER, &rows, true, false),
        malformed_lines,
    }
}

// ---------------------------------------------------------------------- 离婚

const DIVORCE_HEADER: [&str; 8] = [
    "登记编号/案号",
    "男方姓名",
    "男方身份证号",
    "女方姓名",
    "女方身份证号",
    "离婚日期",
    "办理方式",
    "办理机关",
];

fn divorces(w: &World, rng: &mut ChaCha8Rng) -> DataFile {
    let mut families: Vec<usize> = (0..w.families.len())
        .filter(|&f| w.families[f].divorce.is_some())
        .collect();
    families.sort_by_key(|&f| (w.families[f].divorce.as_ref().map(|d| d.date), f));
    let rows: Vec<Vec<String>> = families
        .iter()
        .filter_map(|&f| {
            let fam = &w.families[f];
            let d = fam.divorce.as_ref()?;
            let (husband, wife) = (&w.persons[fam.father], &w.persons[fam.mother]);
            let (channel, office) = match d.channel {
                DivorceChannel::Registration => ("登记离婚", "护苗县民政局婚姻登记处"),
                DivorceChannel::Judgment => ("诉讼离婚", "护苗县人民法院"),
            };
            Some(vec![
                d.record_no.clone(),
                husband.name.clone(),
                husband.id.as_str().to_string(),
                wife.name.clone(),
                wife.id.as_str().to_string(),
                ymd(d.date, "%Y年%m月%d日"),
                channel.to_string(),
                office.to_string(),
            ])
        })
        .collect();
    let corruptions: [Corruption<Vec<String>>; 2] = [
        |r| r[5] = format!("{}02月30日", r[5].get(..7).unwrap_or("2025年")),
        |r| r[1] = String::new(),
    ];
    let (rows, malformed_lines) = add_noise(rng, rows, &corruptions, 2);
    DataFile {
        department: Department::CivilAffairs,
        record_kind: "divorce",
        path: "departments/civil_affairs/离婚登记及判决_护苗县.csv",
        mapping_path: "mappings/civil_affairs_divorces.toml",
        mapping: mappings::CIVIL_AFFAIRS_DIVORCES,
        rows: rows.len(),
        bytes: csv_bytes(&DIVORCE_HEADER, &rows, false, false),
        malformed_lines,
    }
}

// ---------------------------------------------------------------------- 卫健

const ILLNESS_HEADER: [&str; 11] = [
    "登记编号",
    "患者姓名",
    "性别",
    "出生日期",
    "身份证号",
    // The hospital system pads this header with a space; the mapping names it without.
    "疾病名称 ",
    "确诊日期",
    "确诊医院",
    "治愈/终止日期",
    "所属乡镇（街道）",
    "备注",
];

fn illnesses(w: &World, rng: &mut ChaCha8Rng) -> DataFile {
    let mut patients: Vec<usize> = (0..w.persons.len())
        .filter(|&p| w.persons[p].illness.is_some())
        .collect();
    patients.sort_by_key(|&p| (w.persons[p].illness.map(|i| i.diagnosed), p));
    let mut serial: Option<(i32, u32)> = None;
    let rows: Vec<Vec<String>> = patients
        .iter()
        .filter_map(|&p| {
            let person = &w.persons[p];
            let ill = person.illness?;
            let year = ill.diagnosed.year();
            let n = match serial {
                Some((y, n)) if y == year => n + 1,
                _ => 1,
            };
            serial = Some((year, n));
            // The provincial hospitals' system codes sex (GB/T 2261.1) and writes dates with
            // slashes; the county hospitals write 男/女 and dashes.
            let provincial = ill.hospital.starts_with('省');
            let (sex, date_format) = if provincial {
                (
                    match person.sex {
                        Sex::Male => "1".to_string(),
                        Sex::Female => "2".to_string(),
                    },
                    "%Y/%m/%d",
                )
            } else {
                (sex_zh(person.sex), "%Y-%m-%d")
            };
            // Newborns screened before their ID was issued, and some typed without it.
            let newborn = ill.diagnosed < person.birth + chrono::Days::new(60);
            let no_id = rand::Rng::gen_bool(rng, if newborn { 0.5 } else { 0.06 });
            let id = if no_id {
                String::new()
            } else {
                person.id.as_str().to_string()
            };
            let name = match crate::names::to_traditional(&person.name) {
                Some(t) if !no_id && rand::Rng::gen_bool(rng, 0.03) => t,
                _ => person.name.clone(),
            };
            let hh = &w.households[person.household];
            let town = &w.places.towns[w.places.villages[hh.village].town].name;
            let note = match ill.ended {
                Some(_) => "临床治愈",
                None if no_id => "身份证号待补录",
                None => "",
            };
            Some(vec![
                format!("ZB{year}{n:05}"),
                name,
                sex,
                ymd(person.birth, date_format),
                id,
                ill.name.to_string(),
                ymd(ill.diagnosed, date_format),
                ill.hospital.to_string(),
                ill.ended.map(|e| ymd(e, date_format)).unwrap_or_default(),
                town.clone(),
                note.to_string(),
            ])
        })
        .collect();
    let corruptions: [Corruption<Vec<String>>; 3] = [
        |r| r[1] = String::new(),
        |r| r[6] = format!("{}-02-30", r[6].get(..4).unwrap_or("2025")),
        |r| r[5] = String::new(),
    ];
    let (rows, malformed_lines) = add_noise(rng, rows, &corruptions, 2);
    DataFile {
        department: Department::Health,
        record_kind: "illness_diagnosis",
        path: "departments/health/重病诊断_护苗县.csv",
        mapping_path: "mappings/health_illness.toml",
        mapping: mappings::HEALTH_ILLNESS,
        rows: rows.len(),
        bytes: csv_bytes(&ILLNESS_HEADER, &rows, true, true),
        malformed_lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(yuan(190_000), "1,900.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
    }

    #[test]
    fn legacy_ids_drop_century_and_check() {
        let id = humiao_core::CitizenId::parse("11010519491231002X").unwrap();
        let old = legacy15(id.as_str());
        assert_eq!(old, "110105491231002");
        assert_eq!(humiao_core::CitizenId::parse(&old).unwrap(), id);
    }
}
