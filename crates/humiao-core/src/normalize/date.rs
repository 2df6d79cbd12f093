//! Dates as departments write them.

use chrono::{Datelike, Duration, NaiveDate};

use super::half_width;

/// A parsed date, with the other reading of an ambiguous day/month order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub date: NaiveDate,
    /// The day/month-swapped reading, when the written form was ambiguous (e.g. "03/05/2012")
    /// and that reading is a real date too.
    pub swapped: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("日期为空")]
    Empty,
    #[error("无法识别的日期格式：{0}")]
    Unrecognised(String),
    #[error("日期不存在：{0}")]
    Impossible(String),
}

fn ymd(y: i64, m: i64, d: i64, raw: &str) -> Result<NaiveDate, DateError> {
    if !(1900..=2100).contains(&y) {
        return Err(DateError::Impossible(raw.to_string()));
    }
    NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32)
        .ok_or_else(|| DateError::Impossible(raw.to_string()))
}

/// Reads a date in the formats departments use: 2012-03-05, 2012/3/5, 2012.3.5, 20120305,
/// 2012年3月5日, with a time after it, an Excel serial number, or dd/mm/yyyy (read day-first,
/// the month-first reading kept in `swapped`). Two-digit years are refused as ambiguous.
pub fn parse_date(raw: &str) -> Result<ParsedDate, DateError> {
    let cleaned: String = raw.chars().map(half_width).collect();
    let s = cleaned.trim();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    // Drop a time part: "2012-03-05 00:00:00", "2012-03-05T00:00:00".
    let s = s
        .split(|c: char| c == 'T' || c.is_whitespace())
        .next()
        .unwrap_or(s);
    let unrecognised = || DateError::Unrecognised(raw.trim().to_string());
    if s.chars().all(|c| c.is_ascii_digit()) {
        return match s.len() {
            8 => {
                let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap_or(0);
                Ok(ParsedDate {
                    date: ymd(n(0..4), n(4..6), n(6..8), raw)?,
                    swapped: None,
                })
            }
            // An Excel serial date (days since 1899-12-30), 1900–2100 only.
            4 | 5 => {
                let serial: i64 = s.parse().map_err(|_| unrecognised())?;
                if !(1..=73050).contains(&serial) {
                    return Err(unrecognised());
                }
                let date =
                    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid") + Duration::days(serial);
                Ok(ParsedDate {
                    date,
                    swapped: None,
                })
            }
            _ => Err(unrecognised()),
        };
    }
    let parts: Vec<&str> = s
        .split(|c: char| matches!(c, '-' | '/' | '.' | '年' | '月' | '日' | '号'))
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return Err(unrecognised());
    }
    let n: Vec<i64> = parts
        .iter()
        .map(|p| p.parse::<i64>().map_err(|_| unrecognised()))
        .collect::<Result<_, _>>()?;
    if parts[0].len() == 4 {
        return Ok(ParsedDate {
            date: ymd(n[0], n[1], n[2], raw)?,
            swapped: None,
        });
    }
    if parts[2].len() == 4 {
        // Day first; the month-first reading is kept when it is a real date too.
        let day_first = ymd(n[2], n[1], n[0], raw);
        let month_first = ymd(n[2], n[0], n[1], raw);
        return match (day_first, month_first) {
            (Ok(d), Ok(m)) if d != m => Ok(ParsedDate {
                date: d,
                swapped: Some(m),
            }),
            (Ok(d), _) => Ok(ParsedDate {
                date: d,
                swapped: None,
            }),
            (Err(_), Ok(m)) => Ok(ParsedDate {
                date: m,
                swapped: None,
            }),
            (Err(e), Err(_)) => Err(e),
        };
    }
    Err(unrecognised())
}

/// How two dates relate, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRelation {
    Same,
    DayMonthSwapped,
    OffByOneDay,
    SameYearMonth,
    SameYear,
    /// Within a year (366 days) but none of the above.
    Within(u32),
    Different,
}

pub fn date_relation(a: NaiveDate, b: NaiveDate) -> DateRelation {
    if a == b {
        return DateRelation::Same;
    }
    if a.year() == b.year() && a.month() == b.day() && a.day() == b.month() {
        return DateRelation::DayMonthSwapped;
    }
    let days = (a - b).num_days().unsigned_abs();
    if days == 1 {
        return DateRelation::OffByOneDay;
    }
    if a.year() == b.year() && a.month() == b.month() {
        return DateRelation::SameYearMonth;
    }
    if a.year() == b.year() {
        return DateRelation::SameYear;
    }
    if days <= 366 {
        return DateRelation::Within(days as u32);
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

    #[test]
    fn formats() {
        for raw in [
            "2012-03-05",
            "2012/3/5",
            "2012.3.5",
            "20120305",
            "2012年3月5日",
            "2012-03-05 00:00:00",
            "2012-03-05T08:00:00",
            "２０１２－０３－０５",
            "40973",
            "25/03/2012",
        ] {
            let p = parse_date(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            let expected = if raw.starts_with("25") {
                d(2012, 3, 25)
            } else {
                d(2012, 3, 5)
            };
            assert_eq!(p.date, expected, "{raw}");
            assert_eq!(p.swapped, None, "{raw}");
        }
        let ambiguous = parse_date("03/05/2012").unwrap();
        assert_eq!(ambiguous.date, d(2012, 5, 3));
        assert_eq!(ambiguous.swapped, Some(d(2012, 3, 5)));
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_date("  "), Err(DateError::Empty));
        assert!(matches!(
            parse_date("12-3-5"),
            Err(DateError::Unrecognised(_))
        ));
        assert!(matches!(
            parse_date("2012-13-45"),
            Err(DateError::Impossible(_))
        ));
        assert!(matches!(
            parse_date("2012-02-30"),
            Err(DateError::Impossible(_))
        ));
        assert!(matches!(
            parse_date("not a date"),
            Err(DateError::Unrecognised(_))
        ));
        assert!(matches!(
            parse_date("1800-01-01"),
            Err(DateError::Impossible(_))
        ));
    }

    #[test]
    fn relations() {
        let a = d(2012, 3, 5);
        assert_eq!(date_relation(a, a), DateRelation::Same);
        assert_eq!(
            date_relation(a, d(2012, 5, 3)),
            DateRelation::DayMonthSwapped
        );
        assert_eq!(date_relation(a, d(2012, 3, 6)), DateRelation::OffByOneDay);
        assert_eq!(
            date_relation(a, d(2012, 3, 25)),
            DateRelation::SameYearMonth
        );
        assert_eq!(date_relation(a, d(2012, 11, 25)), DateRelation::SameYear);
        assert_eq!(date_relation(a, d(2011, 12, 25)), DateRelation::Within(71));
        assert_eq!(date_relation(a, d(2001, 3, 5)), DateRelation::Different);
    }

    proptest! {
        #[test]
        fn every_format_round_trips(days in 0i64..60_000) {
            let date = d(1920, 1, 1) + Duration::days(days);
            for fmt in ["%Y-%m-%d", "%Y/%-m/%-d", "%Y.%m.%d", "%Y%m%d", "%Y年%-m月%-d日", "%Y-%m-%d %H:%M:%S"] {
                let text = date.and_hms_opt(0, 0, 0).unwrap().format(fmt).to_string();
                prop_assert_eq!(parse_date(&text).unwrap().date, date, "{}", text);
            }
            let dmy = date.format("%d/%m/%Y").to_string();
            let p = parse_date(&dmy).unwrap();
            prop_assert_eq!(p.date, date);
            if let Some(other) = p.swapped {
                prop_assert_eq!(date_relation(other, date), DateRelation::DayMonthSwapped);
            }
        }

        #[test]
        fn relation_is_symmetric(x in 0i64..40_000, y in 0i64..40_000) {
            let a = d(1950, 1, 1) + Duration::days(x);
            let b = d(1950, 1, 1) + Duration::days(y);
            prop_assert_eq!(date_relation(a, b), date_relation(b, a));
        }

        #[test]
        fn never_panics(raw in "\\PC{0,16}") {
            let _ = parse_date(&raw);
        }
    }
}
