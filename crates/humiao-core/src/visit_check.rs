//! Plausibility checks of a visit (走访核验), after 心滕你's GPS check: a visit far from the
//! child's home, without a usable position, or with an impossible time is flagged for the
//! supervisor (the town station, the centre). A flag is for review, never a refusal: the visit
//! is recorded either way.
//!
//! Every flag says why in words with the numbers that decided it, e.g.
//! 「走访位置距儿童居住村（社区）约 12.4 公里，超过 3 公里」. The thresholds are rule-pack
//! parameters ([`CheckParams`]); this module only decides.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;

/// The thresholds, from the rule pack in force (parameters `visit_check_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckParams {
    /// How far from the residence's reference point a visit may be, in metres, after the
    /// position's accuracy is taken off.
    pub max_distance_m: i64,
    /// The worst acceptable accuracy of a position, in metres.
    pub max_accuracy_m: i64,
    /// How far the phone's clock may be off, in minutes (a visit "in the future" or before its
    /// alert by less than this is not flagged).
    pub clock_tolerance_minutes: i64,
    /// How long after the visit it may be recorded, in days (offline phones sync late).
    pub max_delay_days: i64,
    /// The fastest plausible travel between two visits of one director, in km/h.
    pub max_speed_kmh: i64,
}

/// A position as the phone reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub at: GeoPoint,
    /// The radius of the phone's 68% confidence, in metres; `None` when not reported.
    pub accuracy_m: Option<f64>,
}

impl Fix {
    /// The accuracy to take off a distance: the reported one, or nothing when unknown (an
    /// unknown accuracy is flagged on its own).
    fn slack_m(&self) -> f64 {
        self.accuracy_m
            .filter(|a| a.is_finite() && *a > 0.0)
            .unwrap_or(0.0)
    }
}

/// The same director's previous visit (by visit time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorVisit {
    pub visited_at: DateTime<Utc>,
    pub position: Option<Fix>,
}

/// What is known about a visit when it is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitFacts {
    /// Where the phone was; `None` when no position was obtained.
    pub position: Option<Fix>,
    /// The reference point of the child's residence (the grid's, else its village's centroid);
    /// `None` when the region tree has no coordinates for it.
    pub residence: Option<GeoPoint>,
    /// When the director says the visit took place (the phone's clock).
    pub visited_at: DateTime<Utc>,
    /// When the server received it.
    pub recorded_at: DateTime<Utc>,
    /// When the alert this visit answers was raised, if it answers one.
    pub alert_raised_at: Option<DateTime<Utc>>,
    pub birth_date: NaiveDate,
    pub previous: Option<PriorVisit>,
}

/// What a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// Farther from the residence than allowed.
    FarFromResidence,
    /// The residence has no coordinates: the position could not be checked (not the director's
    /// doing, so not counted for review).
    NoReference,
    /// No position at all.
    NoPosition,
    /// A position whose accuracy is worse than allowed, or not reported.
    PoorAccuracy,
    /// Dated after it was recorded.
    InFuture,
    /// Dated before the alert it answers was raised.
    BeforeAlert,
    /// Dated before the child was born.
    BeforeBirth,
    /// Recorded too long after the visit.
    RecordedLate,
    /// Too far from the director's previous visit for the time between them.
    ImpossibleTravel,
}

impl FlagCode {
    pub const ALL: [FlagCode; 9] = [
        Self::FarFromResidence,
        Self::NoReference,
        Self::NoPosition,
        Self::PoorAccuracy,
        Self::InFuture,
        Self::BeforeAlert,
        Self::BeforeBirth,
        Self::RecordedLate,
        Self::ImpossibleTravel,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::FarFromResidence => "far_from_residence",
            Self::NoReference => "no_reference",
            Self::NoPosition => "no_position",
            Self::PoorAccuracy => "poor_accuracy",
            Self::InFuture => "in_future",
            Self::BeforeAlert => "before_alert",
            Self::BeforeBirth => "before_birth",
            Self::RecordedLate => "recorded_late",
            Self::ImpossibleTravel => "impossible_travel",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// A short title for lists.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::FarFromResidence => "位置偏离",
            Self::NoReference => "无法核对位置",
            Self::NoPosition => "未获取位置",
            Self::PoorAccuracy => "定位不准",
            Self::InFuture => "时间晚于提交",
            Self::BeforeAlert => "时间早于预警",
            Self::BeforeBirth => "时间早于出生",
            Self::RecordedLate => "补录过晚",
            Self::ImpossibleTravel => "行程不可能",
        }
    }

    /// Whether the supervisor should look at it. A missing reference point is a gap in the
    /// region data, not a doubt about the visit.
    pub fn needs_review(self) -> bool {
        self != Self::NoReference
    }
}

/// One finding about a visit, with why in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitFlag {
    pub code: FlagCode,
    pub message: String,
}

/// Checks a visit. The result is empty for a visit that raises no doubt.
pub fn check(facts: &VisitFacts, params: &CheckParams) -> Vec<VisitFlag> {
    let mut flags = Vec::new();
    let mut flag = |code: FlagCode, message: String| flags.push(VisitFlag { code, message });

    // Position.
    match facts.position {
        None => flag(FlagCode::NoPosition, "未获取定位，无法核对走访位置".into()),
        Some(fix) => {
            match fix.accuracy_m.filter(|a| a.is_finite() && *a >= 0.0) {
                None => flag(
                    FlagCode::PoorAccuracy,
                    "定位未报告精度，无法判断位置是否可靠".into(),
                ),
                Some(acc) if acc > params.max_accuracy_m as f64 => flag(
                    FlagCode::PoorAccuracy,
                    format!(
                        "定位精度约 {}，低于要求（{}以内）",
                        metres(acc),
                        threshold(params.max_accuracy_m)
                    ),
                ),
                Some(_) => {}
            }
            match facts.residence {
                None => flag(
                    FlagCode::NoReference,
                    "缺少居住村（社区）坐标，无法核对位置".into(),
                ),
                Some(home) => {
                    let d = fix.at.distance_m(home);
                    if d - fix.slack_m() > params.max_distance_m as f64 {
                        let accuracy = match fix.accuracy_m {
                            Some(a) if a > 0.0 => format!("（定位精度约 {}）", metres(a)),
                            _ => String::new(),
                        };
                        flag(
                            FlagCode::FarFromResidence,
                            format!(
                                "走访位置距儿童居住村（社区）约 {}，超过 {}{accuracy}",
                                metres(d),
                                threshold(params.max_distance_m)
                            ),
                        );
                    }
                }
            }
        }
    }

    // Time.
    let tolerance = Duration::minutes(params.clock_tolerance_minutes.max(0));
    if facts.visited_at > facts.recorded_at + tolerance {
        flag(
            FlagCode::InFuture,
            format!(
                "走访时间 {} 晚于提交时间 {}，超出允许的 {} 分钟时钟误差",
                local(facts.visited_at),
                local(facts.recorded_at),
                params.clock_tolerance_minutes
            ),
        );
    }
    if let Some(raised) = facts.alert_raised_at {
        if facts.visited_at + tolerance < raised {
            flag(
                FlagCode::BeforeAlert,
                format!(
                    "走访时间 {} 早于所答复预警的产生时间 {}",
                    local(facts.visited_at),
                    local(raised)
                ),
            );
        }
    }
    if local_date(facts.visited_at) < facts.birth_date {
        flag(
            FlagCode::BeforeBirth,
            format!(
                "走访时间 {} 早于儿童出生日期 {}",
                local(facts.visited_at),
                facts.birth_date.format("%Y-%m-%d")
            ),
        );
    }
    let delay = facts.recorded_at - facts.visited_at;
    if delay > Duration::days(params.max_delay_days) {
        flag(
            FlagCode::RecordedLate,
            format!(
                "走访时间 {}，提交于 {}，相隔 {}，超过 {} 天",
                local(facts.visited_at),
                local(facts.recorded_at),
                span(delay),
                params.max_delay_days
            ),
        );
    }

    // Travel since the director's previous visit.
    if let (Some(here), Some(prev)) = (facts.position, facts.previous) {
        if let Some(there) = prev.position {
            let d = here.at.distance_m(there.at);
            let apart = (d - here.slack_m() - there.slack_m()).max(0.0);
            let seconds = (facts.visited_at - prev.visited_at).num_seconds().abs();
            // speed > max  ⇔  apart[m] · 3.6 > max[km/h] · seconds (no division by zero).
            if apart * 3.6 > params.max_speed_kmh as f64 * seconds as f64 {
                let pace = if seconds == 0 {
                    "却记为同一时刻".to_string()
                } else {
                    format!(
                        "相隔 {}，折合时速约 {:.0} 公里",
                        span(Duration::seconds(seconds)),
                        apart * 3.6 / seconds as f64
                    )
                };
                flag(
                    FlagCode::ImpossibleTravel,
                    format!(
                        "与本人上一次走访（{}）相距约 {}，{pace}，超过 {} 公里/小时",
                        local(prev.visited_at),
                        metres(d),
                        params.max_speed_kmh
                    ),
                );
            }
        }
    }
    flags
}

/// China Standard Time, in which directors read times.
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// A measured distance: 「850 米」, 「12.4 公里」.
fn metres(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.1} 公里", m / 1000.0)
    } else {
        format!("{m:.0} 米")
    }
}

/// A threshold in whole metres: 「3 公里」, 「2.5 公里」, 「500 米」.
fn threshold(m: i64) -> String {
    if m >= 1000 && m % 1000 == 0 {
        format!("{} 公里", m / 1000)
    } else if m >= 1000 {
        format!("{} 公里", m as f64 / 1000.0)
    } else {
        format!("{m} 米")
    }
}

/// A span of time: 「25 分钟」, 「3.5 小时」, 「8 天 2 小时」.
fn span(d: Duration) -> String {
    let minutes = d.num_minutes();
    if minutes < 120 {
        format!("{minutes} 分钟")
    } else if minutes < 48 * 60 {
        format!("{:.1} 小时", minutes as f64 / 60.0)
    } else {
        format!("{} 天 {} 小时", d.num_days(), d.num_hours() % 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::EARTH_RADIUS_M;
    use proptest::prelude::*;

    const PARAMS: CheckParams = CheckParams {
        max_distance_m: 3000,
        max_accuracy_m: 500,
        clock_tolerance_minutes: 10,
        max_delay_days: 7,
        max_speed_kmh: 120,
    };

    fn home() -> GeoPoint {
        GeoPoint::new(30.0, 120.5).unwrap()
    }

    /// A point `m` metres north of `from` (along the meridian the distance is exact).
    fn north(from: GeoPoint, m: f64) -> GeoPoint {
        GeoPoint::new(from.lat() + (m / EARTH_RADIUS_M).to_degrees(), from.lon()).unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A visit at home, well located, recorded a minute later, with nothing else known.
    fn facts() -> VisitFacts {
        VisitFacts {
            position: Some(Fix {
                at: home(),
                accuracy_m: Some(20.0),
            }),
            residence: Some(home()),
            visited_at: t("2026-11-22T02:00:00Z"),
            recorded_at: t("2026-11-22T02:01:00Z"),
            alert_raised_at: None,
            birth_date: NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
            previous: None,
        }
    }

    fn codes(f: &VisitFacts) -> Vec<FlagCode> {
        check(f, &PARAMS).into_iter().map(|f| f.code).collect()
    }

    fn only(f: &VisitFacts, code: FlagCode) -> String {
        let flags = check(f, &PARAMS);
        assert_eq!(
            flags.iter().map(|f| f.code).collect::<Vec<_>>(),
            vec![code],
            "{flags:?}"
        );
        flags[0].message.clone()
    }

    #[test]
    fn a_plain_visit_raises_nothing() {
        assert!(check(&facts(), &PARAMS).is_empty());
    }

    #[test]
    fn codes_round_trip() {
        for c in FlagCode::ALL {
            assert_eq!(FlagCode::parse(c.code()), Some(c));
            assert!(!c.label_zh().is_empty());
        }
        assert_eq!(FlagCode::parse("nonsense"), None);
        assert!(!FlagCode::NoReference.needs_review());
        assert!(FlagCode::FarFromResidence.needs_review());
    }

    #[test]
    fn far_from_home_says_how_far() {
        let mut f = facts();
        f.position = Some(Fix {
            at: north(home(), 12_400.0),
            accuracy_m: Some(0.0),
        });
        assert_eq!(
            only(&f, FlagCode::FarFromResidence),
            "走访位置距儿童居住村（社区）约 12.4 公里，超过 3 公里"
        );
        f.position.as_mut().unwrap().accuracy_m = Some(50.0);
        assert_eq!(
            only(&f, FlagCode::FarFromResidence),
            "走访位置距儿童居住村（社区）约 12.4 公里，超过 3 公里（定位精度约 50 米）"
        );
    }

    #[test]
    fn the_distance_boundary_takes_the_accuracy_off() {
        let mut f = facts();
        let at = |m: f64, acc: f64| {
            Some(Fix {
                at: north(home(), m),
                accuracy_m: Some(acc),
            })
        };
        f.position = at(2999.0, 0.0);
        assert!(codes(&f).is_empty());
        f.position = at(3001.0, 0.0);
        assert_eq!(codes(&f), vec![FlagCode::FarFromResidence]);
        // 3.3 km with a 400 m circle may well be 2.9 km: not flagged.
        f.position = at(3300.0, 400.0);
        assert!(codes(&f).is_empty());
        f.position = at(3401.0, 400.0);
        assert_eq!(codes(&f), vec![FlagCode::FarFromResidence]);
    }

    #[test]
    fn without_a_reference_point_the_check_says_so() {
        let mut f = facts();
        f.residence = None;
        f.position = Some(Fix {
            at: north(home(), 50_000.0),
            accuracy_m: Some(10.0),
        });
        let flags = check(&f, &PARAMS);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code, FlagCode::NoReference);
        assert_eq!(flags[0].message, "缺少居住村（社区）坐标，无法核对位置");
    }

    #[test]
    fn no_position_or_a_poor_one_is_flagged() {
        let mut f = facts();
        f.position = None;
        assert_eq!(
            only(&f, FlagCode::NoPosition),
            "未获取定位，无法核对走访位置"
        );
        f.position = Some(Fix {
            at: home(),
            accuracy_m: Some(500.0),
        });
        assert!(codes(&f).is_empty(), "500 m is acceptable");
        f.position.as_mut().unwrap().accuracy_m = Some(501.0);
        assert_eq!(
            only(&f, FlagCode::PoorAccuracy),
            "定位精度约 501 米，低于要求（500 米以内）"
        );
        f.position.as_mut().unwrap().accuracy_m = Some(1800.0);
        assert_eq!(
            only(&f, FlagCode::PoorAccuracy),
            "定位精度约 1.8 公里，低于要求（500 米以内）"
        );
        f.position.as_mut().unwrap().accuracy_m = None;
        assert_eq!(
            only(&f, FlagCode::PoorAccuracy),
            "定位未报告精度，无法判断位置是否可靠"
        );
    }

    #[test]
    fn times_in_the_future_beyond_the_tolerance_are_flagged() {
        let mut f = facts();
        f.recorded_at = t("2026-11-22T01:00:00Z");
        f.visited_at = t("2026-11-22T01:10:00Z");
        assert!(codes(&f).is_empty(), "exactly the tolerance");
        f.visited_at = t("2026-11-22T01:10:01Z");
        assert_eq!(
            only(&f, FlagCode::InFuture),
            "走访时间 2026-11-22 09:10 晚于提交时间 2026-11-22 09:00，超出允许的 10 分钟时钟误差"
        );
    }

    #[test]
    fn a_visit_before_its_alert_is_flagged() {
        let mut f = facts();
        f.alert_raised_at = Some(f.visited_at + Duration::minutes(10));
        assert!(codes(&f).is_empty(), "within the clock tolerance");
        f.alert_raised_at = Some(f.visited_at + Duration::minutes(10) + Duration::seconds(1));
        assert_eq!(
            only(&f, FlagCode::BeforeAlert),
            "走访时间 2026-11-22 10:00 早于所答复预警的产生时间 2026-11-22 10:10"
        );
    }

    #[test]
    fn a_visit_before_birth_is_flagged_by_the_local_day() {
        let mut f = facts();
        f.birth_date = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        // 2026-11-21T16:00Z is midnight of the 22nd in China.
        f.visited_at = t("2026-11-21T16:00:00Z");
        f.recorded_at = f.visited_at;
        assert!(codes(&f).is_empty());
        f.visited_at = t("2026-11-21T15:59:59Z");
        assert_eq!(
            only(&f, FlagCode::BeforeBirth),
            "走访时间 2026-11-21 23:59 早于儿童出生日期 2026-11-22"
        );
    }

    #[test]
    fn late_recording_is_flagged_after_the_allowed_days() {
        let mut f = facts();
        f.recorded_at = f.visited_at + Duration::days(7);
        assert!(codes(&f).is_empty(), "exactly 7 days");
        f.recorded_at = f.visited_at + Duration::days(7) + Duration::seconds(1);
        assert_eq!(codes(&f), vec![FlagCode::RecordedLate]);
        f.recorded_at = f.visited_at + Duration::days(11) + Duration::hours(23);
        assert_eq!(
            only(&f, FlagCode::RecordedLate),
            "走访时间 2026-11-22 10:00，提交于 2026-12-04 09:00，相隔 11 天 23 小时，超过 7 天"
        );
    }

    #[test]
    fn travel_faster_than_allowed_is_flagged() {
        let mut f = facts();
        let prev = |m: f64, minutes: i64| PriorVisit {
            visited_at: t("2026-11-22T02:00:00Z") - Duration::minutes(minutes),
            position: Some(Fix {
                at: north(home(), m),
                accuracy_m: Some(0.0),
            }),
        };
        // Just under 40 km in 20 minutes is just under 120 km/h: allowed.
        f.previous = Some(prev(39_990.0, 20));
        f.position.as_mut().unwrap().accuracy_m = Some(0.0);
        assert!(codes(&f).is_empty());
        f.previous = Some(prev(40_010.0, 20));
        assert_eq!(
            only(&f, FlagCode::ImpossibleTravel),
            "与本人上一次走访（2026-11-22 09:40）相距约 40.0 公里，相隔 20 分钟，折合时速约 120 公里，超过 120 公里/小时"
        );
        // At the same moment, any real distance is impossible.
        f.previous = Some(prev(1000.0, 0));
        assert_eq!(
            only(&f, FlagCode::ImpossibleTravel),
            "与本人上一次走访（2026-11-22 10:00）相距约 1.0 公里，却记为同一时刻，超过 120 公里/小时"
        );
        // …unless both positions' accuracy covers it.
        f.previous
            .as_mut()
            .unwrap()
            .position
            .as_mut()
            .unwrap()
            .accuracy_m = Some(601.0);
        f.position.as_mut().unwrap().accuracy_m = Some(400.0);
        assert!(!codes(&f).contains(&FlagCode::ImpossibleTravel));
        // A previous visit without a position says nothing.
        f.previous = Some(PriorVisit {
            visited_at: f.visited_at,
            position: None,
        });
        f.position.as_mut().unwrap().accuracy_m = Some(0.0);
        assert!(codes(&f).is_empty());
    }

    proptest! {
        #[test]
        fn far_iff_distance_minus_accuracy_exceeds_the_limit(
            m in 0.0f64..20_000.0,
            acc in 0.0f64..500.0,
            max in 1i64..10_000,
        ) {
            let params = CheckParams { max_distance_m: max, ..PARAMS };
            let margin = m - acc - max as f64;
            prop_assume!(margin.abs() > 0.01);
            let mut f = facts();
            f.position = Some(Fix { at: north(home(), m), accuracy_m: Some(acc) });
            let far = check(&f, &params).iter().any(|f| f.code == FlagCode::FarFromResidence);
            prop_assert_eq!(far, margin > 0.0);
        }

        #[test]
        fn time_flags_follow_their_boundaries(
            ahead in -30i64 * 86_400..30 * 86_400,
            alert_after in -3_600i64..3_600,
            tolerance in 0i64..60,
            delay_days in 1i64..30,
        ) {
            let params = CheckParams {
                clock_tolerance_minutes: tolerance,
                max_delay_days: delay_days,
                ..PARAMS
            };
            let mut f = facts();
            f.visited_at = f.recorded_at + Duration::seconds(ahead);
            f.alert_raised_at = Some(f.visited_at + Duration::seconds(alert_after));
            let got: Vec<FlagCode> = check(&f, &params).into_iter().map(|f| f.code).collect();
            prop_assert_eq!(got.contains(&FlagCode::InFuture), ahead > tolerance * 60);
            prop_assert_eq!(got.contains(&FlagCode::RecordedLate), -ahead > delay_days * 86_400);
            prop_assert_eq!(got.contains(&FlagCode::BeforeAlert), alert_after > tolerance * 60);
        }

        #[test]
        fn travel_is_impossible_iff_faster_than_the_limit(
            m in 0.0f64..200_000.0,
            seconds in 0i64..86_400,
            max in 1i64..300,
        ) {
            let params = CheckParams { max_speed_kmh: max, ..PARAMS };
            // Compare in the same units the check does, with a margin for rounding.
            let margin = m * 3.6 - max as f64 * seconds as f64;
            prop_assume!(margin.abs() > 0.1);
            let mut f = facts();
            f.residence = None;
            f.position.as_mut().unwrap().accuracy_m = Some(0.0);
            f.previous = Some(PriorVisit {
                visited_at: f.visited_at - Duration::seconds(seconds),
                position: Some(Fix { at: north(home(), m), accuracy_m: Some(0.0) }),
            });
            let got = check(&f, &params).iter().any(|f| f.code == FlagCode::ImpossibleTravel);
            prop_assert_eq!(got, margin > 0.0);
        }
    }
}
