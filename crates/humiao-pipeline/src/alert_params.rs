//! Alert deadlines and windows from the rule pack's parameters (`alert_due_days_*`,
//! `alert_remind_days_before`, `alert_family_change_window_days`), so that a locality sets them
//! in its own layer; a parameter the pack lacks keeps the built-in default.

use chrono::NaiveDate;
use humiao_core::alert::AlertParams;
use humiao_rules::value::Value;
use humiao_rules::RulePack;

/// The alert parameters in force on `as_of`.
pub fn alert_params(pack: &RulePack, as_of: NaiveDate) -> AlertParams {
    let days = |name: &str, default: i64| match pack.parameter(name).map(|p| p.value_on(as_of)) {
        Some(Value::Int(d)) if d >= 0 => d,
        _ => default,
    };
    let base = AlertParams::default();
    AlertParams {
        family_change_window_days: days(
            "alert_family_change_window_days",
            base.family_change_window_days,
        ),
        due_days_urgent: days("alert_due_days_urgent", base.due_days_urgent),
        due_days_high: days("alert_due_days_high", base.due_days_high),
        due_days_medium: days("alert_due_days_medium", base.due_days_medium),
        due_days_low: days("alert_due_days_low", base.due_days_low),
        remind_days_before: days("alert_remind_days_before", base.remind_days_before),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use humiao_rules::{load, PackSource, NATIONAL_PACK};

    #[test]
    fn the_national_pack_states_the_defaults_and_a_local_layer_overrides_them() {
        let on = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let national = load(&[PackSource {
            file: "national.toml",
            text: NATIONAL_PACK,
        }])
        .unwrap();
        assert_eq!(alert_params(&national, on), AlertParams::default());
        let local = r#"
[pack]
name = "护苗县"
version = "1"
extends = "national"

[parameters.alert_due_days_high]
label = "高级别预警处置时限"
unit = "天"
values = [{ from = "2019-01-01", value = 2 }]
"#;
        let layered = load(&[
            PackSource {
                file: "national.toml",
                text: NATIONAL_PACK,
            },
            PackSource {
                file: "local.toml",
                text: local,
            },
        ])
        .unwrap();
        assert_eq!(alert_params(&layered, on).due_days_high, 2);
    }
}
