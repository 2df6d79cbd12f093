//! Dates (日期) as departments write them, and how two birth dates relate.
//!
//! Must not guess: a two-digit year, a bare four-digit number (more likely a year than the Excel
//! serial of a day in 1902–1927) and mixed separators are refused rather than read one way.

use chrono::{Datelike, Duration, NaiveDate};

use super::half_width;

/// A parsed date, with the other reading of an ambiguous day/month order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub date: NaiveDate,
    /// The day/month-swapped reading when the input was ambiguous and the swap is also a valid
    /// date (e.g. "03/05/2012"); None when unambiguous (ISO, Chinese 年月日, day > 12 …).
    pub swapped: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Nothing written, or a null placeholder such as "0000-00-00".
    #[error("日期为空")]
    Empty,
    #[error("无法识别的日期格式：{0}")]
    Unrecognised(String),
    /// Month or day out of range: 2012-02-30, 2012-13-01.
    #[error("日期不存在：{0}")]
    Impossible(String),
    /// A real date outside the years 1900–2100 accepted for people alive today.
    #[error("日期超出1900—2100年范围：{0}")]
    OutOfRange(String),
}

/// Years accepted, as in citizen IDs.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2100;

/// Excel's day 0 for serials from 61 (1900-03-01) on, which skip Excel's phantom 1900-02-29.
const EXCEL_EPOCH: (i32, u32, u32) = (1899, 12, 30);
/// Serials accepted: five digits, 1927-05-18 to 2100-12-31. Four-digit numbers are refused: in a
/// date column "1985" is far more likely a bare year than the serial of a day in 1905.
const EXCEL_SERIALS: std::ops::RangeInclusive<u32> = 10_000..=73_415;

/// Longest input looked at; longer text is not a date.
const MAX_LEN: usize = 40;

/// Markers for the Chinese date characters in the ASCII working copy.
const YEAR_MARK: u8 = 0x01;
const MONTH_MARK: u8 = 0x02;
const DAY_MARK: u8 = 0x03;

/// Accepts: 2012-03-05, 2012/3/5, 2012.3.5, 20120305, 2012年3月5日 (or …5号), any of these followed
/// by a time (2012-03-05 00:00:00, 2012-03-05T00:00:00), Excel serial numbers as text ("40973" →
/// 2012-03-05, optionally with a fraction "40973.5"), dd/mm/yyyy and mm/dd/yyyy with `/`, `-` or
/// `.` (read day-first; when the month-first reading is also a different valid date it is given
/// in `swapped`), full-width digits and punctuation. Two-digit years are refused (ambiguous).
pub fn parse_date(raw: &str) -> Result<ParsedDate, DateError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(DateError::Empty);
    }
    let unrecognised = || DateError::Unrecognised(trimmed.to_string());
    // An ASCII working copy on the stack: dates are short, and this runs for every record.
    let mut buf = [0u8; MAX_LEN];
    let mut len = 0;
    for c in trimmed.chars() {
        let b = match half_width(c) {
            '年' => YEAR_MARK,
            '月' => MONTH_MARK,
            '日' | '号' => DAY_MARK,
            c if c.is_ascii_graphic() || c == ' ' => c as u8,
            c if c.is_whitespace() => b' ',
            _ => return Err(unrecognised()),
        };
        if len == MAX_LEN {
            return Err(unrecognised());
        }
        buf[len] = b;
        len += 1;
    }
    let text = &buf[..len];
    let (date_part, time_part) = split_time(text);
    if let Some(time) = time_part {
        if !is_time(time) {
            return Err(unrecognised());
        }
    }
    let fields = Fields::scan(date_part).ok_or_else(unrecognised)?;
    if fields.all_zero() {
        return Err(DateError::Empty);
    }
    let at = |y: u32, m: u32, d: u32| ymd(y, m, d, trimmed);
    match fields {
        // 20120305
        Fields::One { value, digits: 8 } => Ok(unambiguous(at(
            value / 10_000,
            value / 100 % 100,
            value % 100,
        )?)),
        // 40973 or 40973.5
        Fields::One { value, digits: 5 } | Fields::Serial { value, digits: 5 } => {
            excel_serial(value, trimmed).map(unambiguous)
        }
        Fields::Three { n, digits, seps } => {
            let short = |i: usize| (1..=2).contains(&digits[i]);
            let chinese =
                seps == [YEAR_MARK, MONTH_MARK, DAY_MARK] || seps == [YEAR_MARK, MONTH_MARK, 0];
            let plain = seps[0] == seps[1] && matches!(seps[0], b'-' | b'/' | b'.') && seps[2] == 0;
            if digits[0] == 4 && short(1) && short(2) && (chinese || plain) {
                return Ok(unambiguous(at(n[0], n[1], n[2])?));
            }
            if plain && digits[2] == 4 && short(0) && short(1) {
                return day_first(n[2], n[1], n[0], trimmed);
            }
            Err(unrecognised())
        }
        _ => Err(unrecognised()),
    }
}

fn unambiguous(date: NaiveDate) -> ParsedDate {
    ParsedDate {
        date,
        swapped: None,
    }
}

/// dd/mm/yyyy read day-first; mm/dd/yyyy when only that reading is a date.
fn day_first(year: u32, month: u32, day: u32, raw: &str) -> Result<ParsedDate, DateError> {
    let day_first = ymd(year, month, day, raw);
    let month_first = ymd(year, day, month, raw);
    match (day_first, month_first) {
        (Ok(d), Ok(m)) => Ok(ParsedDate {
            date: d,
            swapped: (d != m).then_some(m),
        }),
        (Ok(d), Err(_)) => Ok(unambiguous(d)),
        (Err(_), Ok(m)) => Ok(unambiguous(m)),
        (Err(e), Err(_)) => Err(e),
    }
}

fn ymd(year: u32, month: u32, day: u32, raw: &str) -> Result<NaiveDate, DateError> {
    let year = i32::try_from(year).map_err(|_| DateError::Unrecognised(raw.to_string()))?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| DateError::Impossible(raw.to_string()))?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(DateError::OutOfRange(raw.to_string()));
    }
    Ok(date)
}

fn excel_serial(serial: u32, raw: &str) -> Result<NaiveDate, DateError> {
    if !EXCEL_SERIALS.contains(&serial) {
        return Err(DateError::OutOfRange(raw.to_string()));
    }
    let (y, m, d) = EXCEL_EPOCH;
    let epoch = NaiveDate::from_ymd_opt(y, m, d).expect("the Excel epoch is a date");
    Ok(epoch + Duration::days(i64::from(serial)))
}

/// Splits "2012-03-05 08:00:00" / "2012-03-05T08:00:00" into date and time.
fn split_time(text: &[u8]) -> (&[u8], Option<&[u8]>) {
    match text
        .iter()
        .position(|&b| b == b' ' || b == b'T' || b == b't')
    {
        Some(i) => (&text[..i], Some(text[i + 1..].trim_ascii())),
        None => (text, None),
    }
}

/// A time of day as exports write it: "00:00:00", "8:30", "00:00:00.000", "08:00:00+08:00", "…Z".
fn is_time(time: &[u8]) -> bool {
    let Some((&first, rest)) = time.split_first() else {
        return false;
    };
    first.is_ascii_digit()
        && time.contains(&b':')
        && rest
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'+' | b'-' | b'Z'))
}

/// The numbers of a date and what separates them.
enum Fields {
    /// Digits only.
    One { value: u32, digits: usize },
    /// Digits, a full stop and digits: an Excel serial with a time fraction.
    Serial { value: u32, digits: usize },
    /// Three numbers; `seps[0]` and `seps[1]` follow the first two, `seps[2]` (0 if none) the last.
    Three {
        n: [u32; 3],
        digits: [usize; 3],
        seps: [u8; 3],
    },
}

impl Fields {
    fn scan(text: &[u8]) -> Option<Self> {
        let mut n = [0u32; 3];
        let mut digits = [0usize; 3];
        let mut seps = [0u8; 3];
        let mut count = 0;
        let mut i = 0;
        while i < text.len() {
            if count == 3 {
                return None;
            }
            let start = i;
            while i < text.len() && text[i].is_ascii_digit() {
                // At most 8 digits are read, so this cannot overflow.
                n[count] = n[count] * 10 + u32::from(text[i] - b'0');
                i += 1;
                if i - start > 8 {
                    return None;
                }
            }
            if i == start {
                return None;
            }
            digits[count] = i - start;
            if i < text.len() {
                seps[count] = text[i];
                i += 1;
            }
            count += 1;
        }
        match count {
            1 => Some(Self::One {
                value: n[0],
                digits: digits[0],
            }),
            2 if seps[0] == b'.' && seps[1] == 0 => Some(Self::Serial {
                value: n[0],
                digits: digits[0],
            }),
            3 => Some(Self::Three { n, digits, seps }),
            _ => None,
        }
    }

    fn all_zero(&self) -> bool {
        match self {
            Self::One { value, .. } | Self::Serial { value, .. } => *value == 0,
            Self::Three { n, .. } => *n == [0, 0, 0],
        }
    }
}

/// How two birth dates relate, for the linker's comparison levels, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRelation {
    Same,
    /// Same year, day and month exchanged (05-03 against 03-05).
    DayMonthSwapped,
    /// One day apart, possibly across a month or year boundary.
    OffByOneDay,
    SameYearMonth,
    SameYear,
    /// At most 366 days apart but none of the above (e.g. late December against early January).
    Within(u32),
    Different,
}

/// How two dates relate (symmetric): the first variant of [`DateRelation`] that holds.
pub fn date_relation(a: NaiveDate, b: NaiveDate) -> DateRelation {
    if a == b {
        return DateRelation::Same;
    }
    let same_year = a.year() == b.year();
    if same_year && a.month() == b.day() && a.day() == b.month() {
        return DateRelation::DayMonthSwapped;
    }
    let days = (a - b).num_days().unsigned_abs();
    if days == 1 {
        return DateRelation::OffByOneDay;
    }
    if same_year && a.month() == b.month() {
        return DateRelation::SameYearMonth;
    }
    if same_year {
        return DateRelation::SameYear;
    }
    if days <= 366 {
        // At most 366, so the conversion cannot fail.
        return DateRelation::Within(u32::try_from(days).unwrap_or(366));
    }
    DateRelation::Different
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn parsed(raw: &str) -> ParsedDate {
        parse_date(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn every_documented_format_reads_the_same_day() {
        for raw in [
            "2012-03-05",
            "2012/3/5",
            "2012.3.5",
            "2012-3-5",
            "20120305",
            "2012年3月5日",
            "2012年03月05日",
            "2012年3月5号",
            "2012年3月5",
            "2012-03-05 00:00:00",
            "2012-03-05T00:00:00",
            "2012-03-05T08:30:00.000+08:00",
            "2012/3/5 0:00",
            "2012年3月5日 00:00:00",
            "２０１２－０３－０５",
            "２０１２年３月５日",
            "２０１２／３／５",
            "40973",
            "40973.0",
            "40973.75",
            "  2012-03-05\t",
            "\u{3000}2012-03-05\u{3000}",
        ] {
            let p = parsed(raw);
            assert_eq!(p.date, d(2012, 3, 5), "{raw}");
            assert_eq!(p.swapped, None, "{raw}");
        }
    }

    #[test]
    fn day_first_is_preferred_and_the_swap_kept() {
        let p = parsed("03/05/2012");
        assert_eq!(p.date, d(2012, 5, 3));
        assert_eq!(p.swapped, Some(d(2012, 3, 5)));
        let p = parsed("03.05.2012");
        assert_eq!((p.date, p.swapped), (d(2012, 5, 3), Some(d(2012, 3, 5))));
        let p = parsed("3-5-2012");
        assert_eq!((p.date, p.swapped), (d(2012, 5, 3), Some(d(2012, 3, 5))));
    }

    #[test]
    fn an_unambiguous_day_month_order_has_no_swap() {
        // Day above 12: only one reading.
        assert_eq!(parsed("25/03/2012"), unambiguous(d(2012, 3, 25)));
        // Month-first only: 03/25/2012.
        assert_eq!(parsed("03/25/2012"), unambiguous(d(2012, 3, 25)));
        // Day equals month.
        assert_eq!(parsed("05/05/2012"), unambiguous(d(2012, 5, 5)));
        // ISO and Chinese forms are never ambiguous.
        assert_eq!(parsed("2012-05-03").swapped, None);
        assert_eq!(parsed("2012年5月3日").swapped, None);
    }

    #[test]
    fn excel_serials_cover_the_leap_days_and_the_range() {
        assert_eq!(parsed("40973").date, d(2012, 3, 5));
        assert_eq!(parsed("40968").date, d(2012, 2, 29));
        assert_eq!(parsed("10000").date, d(1927, 5, 18));
        assert_eq!(parsed("73415").date, d(2100, 12, 31));
        assert_eq!(
            parse_date("73416"),
            Err(DateError::OutOfRange("73416".into()))
        );
        // A bare four-digit number is a year, not a serial.
        assert!(matches!(
            parse_date("1985"),
            Err(DateError::Unrecognised(_))
        ));
    }

    #[test]
    fn two_digit_years_are_refused() {
        for raw in ["12-3-5", "05/03/12", "12年3月5日", "120305", "3/5/12"] {
            assert!(
                matches!(parse_date(raw), Err(DateError::Unrecognised(_))),
                "{raw}: {:?}",
                parse_date(raw)
            );
        }
    }

    #[test]
    fn malformed_text_is_unrecognised() {
        for raw in [
            "not a date",
            "2012-03",
            "2012年3月",
            "2012-03/05",
            "2012/03-05",
            "2012-03-05-01",
            "2012--03-05",
            "2012-03-05 foo",
            "2012-03-05 :",
            "3月5日2012年",
            "2012年3月5日上午",
            "2012-003-05",
            "999999999999",
            "201203051",
            "2012.3.5.",
            "40973.5.1",
            "二〇一二年三月五日",
            "2012-03-05\u{0}",
        ] {
            assert!(
                matches!(parse_date(raw), Err(DateError::Unrecognised(_))),
                "{raw:?}: {:?}",
                parse_date(raw)
            );
        }
        assert!(matches!(
            parse_date(&"2".repeat(100)),
            Err(DateError::Unrecognised(_))
        ));
    }

    #[test]
    fn empty_and_null_placeholders_are_empty() {
        for raw in [
            "",
            "  ",
            "\u{3000}",
            "0000-00-00",
            "0000-00-00 00:00:00",
            "00000000",
        ] {
            assert_eq!(parse_date(raw), Err(DateError::Empty), "{raw:?}");
        }
    }

    #[test]
    fn impossible_and_out_of_range_dates_are_told_apart() {
        for raw in [
            "2012-02-30",
            "2012-13-01",
            "2011-02-29",
            "20120230",
            "31/02/2012",
            "2012年0月5日",
        ] {
            assert!(
                matches!(parse_date(raw), Err(DateError::Impossible(_))),
                "{raw}: {:?}",
                parse_date(raw)
            );
        }
        assert_eq!(parsed("2012-02-29").date, d(2012, 2, 29));
        for raw in ["1800-01-01", "2101-01-01", "18991231"] {
            assert!(
                matches!(parse_date(raw), Err(DateError::OutOfRange(_))),
                "{raw}"
            );
        }
        assert_eq!(parsed("1900-01-01").date, d(1900, 1, 1));
        assert_eq!(parsed("2100-12-31").date, d(2100, 12, 31));
    }

    #[test]
    fn errors_speak_chinese_and_quote_the_input() {
        assert_eq!(DateError::Empty.to_string(), "日期为空");
        assert_eq!(
            parse_date(" 2012-02-30 ").unwrap_err().to_string(),
            "日期不存在：2012-02-30"
        );
        assert_eq!(
            parse_date("明天").unwrap_err().to_string(),
            "无法识别的日期格式：明天"
        );
    }

    #[test]
    fn relations_in_order_of_strength() {
        let a = d(2012, 3, 5);
        assert_eq!(date_relation(a, a), DateRelation::Same);
        assert_eq!(
            date_relation(a, d(2012, 5, 3)),
            DateRelation::DayMonthSwapped
        );
        assert_eq!(date_relation(a, d(2012, 3, 6)), DateRelation::OffByOneDay);
        assert_eq!(date_relation(a, d(2012, 3, 4)), DateRelation::OffByOneDay);
        assert_eq!(
            date_relation(a, d(2012, 3, 25)),
            DateRelation::SameYearMonth
        );
        assert_eq!(date_relation(a, d(2012, 11, 25)), DateRelation::SameYear);
        assert_eq!(date_relation(a, d(2011, 12, 25)), DateRelation::Within(71));
        assert_eq!(date_relation(a, d(2013, 3, 5)), DateRelation::Within(365));
        assert_eq!(
            date_relation(d(2012, 1, 1), d(2013, 1, 1)),
            DateRelation::Within(366)
        );
        assert_eq!(
            date_relation(d(2012, 1, 1), d(2013, 1, 2)),
            DateRelation::Different
        );
        assert_eq!(date_relation(a, d(2001, 3, 5)), DateRelation::Different);
        // Across a year boundary, one day apart.
        assert_eq!(
            date_relation(d(2011, 12, 31), d(2012, 1, 1)),
            DateRelation::OffByOneDay
        );
        // A swap needs the same year.
        assert!(matches!(
            date_relation(a, d(2011, 5, 3)),
            DateRelation::Within(_)
        ));
        assert_eq!(date_relation(a, d(2013, 5, 3)), DateRelation::Different);
    }

    /// Every format `parse_date` documents, as a chrono format string.
    const UNAMBIGUOUS_FORMATS: [&str; 11] = [
        "%Y-%m-%d",
        "%Y/%-m/%-d",
        "%Y/%m/%d",
        "%Y.%-m.%-d",
        "%Y.%m.%d",
        "%Y%m%d",
        "%Y年%-m月%-d日",
        "%Y年%m月%d日",
        "%Y年%-m月%-d号",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ];

    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                c => c,
            })
            .collect()
    }

    fn date_in_range() -> impl Strategy<Value = NaiveDate> {
        let first = d(1900, 1, 1);
        let days = (d(2100, 12, 31) - first).num_days();
        (0..=days).prop_map(move |n| first + Duration::days(n))
    }

    proptest! {
        #[test]
        fn every_format_round_trips(date in date_in_range(), hour in 0u32..24, minute in 0u32..60) {
            let at = date.and_hms_opt(hour, minute, 0).unwrap();
            for fmt in UNAMBIGUOUS_FORMATS {
                let text = at.format(fmt).to_string();
                prop_assert_eq!(parse_date(&text), Ok(unambiguous(date)), "{}", text);
                let wide = full_width(&text);
                prop_assert_eq!(parse_date(&wide), Ok(unambiguous(date)), "{}", wide);
            }
            for sep in ["/", "-", "."] {
                let dmy = date.format(&format!("%d{sep}%m{sep}%Y")).to_string();
                let p = parse_date(&dmy).unwrap();
                prop_assert_eq!(p.date, date, "{}", dmy);
                let other = NaiveDate::from_ymd_opt(date.year(), date.day(), date.month());
                prop_assert_eq!(p.swapped, other.filter(|o| *o != date), "{}", dmy);

                let mdy = date.format(&format!("%-m{sep}%-d{sep}%Y")).to_string();
                let p = parse_date(&mdy).unwrap();
                prop_assert!(p.date == date || p.swapped == Some(date), "{}", mdy);
            }
            let serial = (date - d(1899, 12, 30)).num_days();
            if (10_000..=73_415).contains(&serial) {
                prop_assert_eq!(parse_date(&serial.to_string()), Ok(unambiguous(date)));
            }
        }

        #[test]
        fn a_swapped_reading_is_a_day_month_swap(date in date_in_range()) {
            let p = parse_date(&date.format("%d/%m/%Y").to_string()).unwrap();
            if let Some(other) = p.swapped {
                prop_assert_eq!(date_relation(other, p.date), DateRelation::DayMonthSwapped);
            }
        }

        #[test]
        fn relation_is_symmetric(a in date_in_range(), b in date_in_range()) {
            prop_assert_eq!(date_relation(a, b), date_relation(b, a));
        }

        #[test]
        fn relation_of_nearby_dates_is_symmetric(a in date_in_range(), offset in -400i64..400) {
            let b = a + Duration::days(offset);
            prop_assert_eq!(date_relation(a, b), date_relation(b, a));
            if offset.abs() > 366 {
                prop_assert_ne!(date_relation(a, b), DateRelation::Within(offset.unsigned_abs() as u32));
            }
        }

        #[test]
        fn never_panics(raw in "\\PC{0,24}") {
            let _ = parse_date(&raw);
        }

        #[test]
        fn never_panics_on_date_like_text(raw in "[0-9０-９/.\\-年月日号T: ]{0,24}") {
            let _ = parse_date(&raw);
        }
    }
}
