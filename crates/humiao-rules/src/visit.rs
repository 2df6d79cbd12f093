//! The visit as a pack configures it: the form's aspects (`[[visit_form.aspects]]`) and the
//! thresholds of the plausibility checks (`visit_check_*` parameters).
//!
//! A pack activated before these existed has neither; it then gets the national pack's form and
//! values (the shipped national pack, compiled once), until the centre activates again.

use std::sync::OnceLock;

use chrono::NaiveDate;
use humiao_core::visit::VisitAspect;
use humiao_core::visit_check::CheckParams;

use crate::value::Value;
use crate::RulePack;

/// The check parameters and the least value each may take.
pub const CHECK_PARAMETERS: [(&str, i64); 5] = [
    ("visit_check_max_distance_m", 1),
    ("visit_check_max_accuracy_m", 1),
    ("visit_check_clock_tolerance_minutes", 0),
    ("visit_check_max_delay_days", 1),
    ("visit_check_max_speed_kmh", 1),
];

/// One aspect of the visit form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AspectDef {
    /// Stable across relabelling: stored with each answer.
    pub code: String,
    pub label: String,
    /// What to look at, shown under the label.
    pub hint: Option<String>,
    /// A visit cannot be saved with it empty.
    pub required: bool,
}

/// The aspects of a visit, in form order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitForm {
    pub aspects: Vec<AspectDef>,
}

impl VisitForm {
    /// The answers, checked against the form: `(key, text)` where the key is an aspect's code
    /// or, for forms saved before aspects had codes (`aspect_1` …), its 1-based position. Gives
    /// the filled-in aspects in form order, each with its code and label, or every problem in
    /// words for the director (an unknown aspect, a required one left empty).
    pub fn collect(&self, answers: &[(String, String)]) -> Result<Vec<VisitAspect>, Vec<String>> {
        let mut texts: Vec<Option<String>> = vec![None; self.aspects.len()];
        let mut problems = Vec::new();
        for (key, text) in answers {
            let index = match key.parse::<usize>() {
                Ok(n) => n.checked_sub(1).filter(|i| *i < self.aspects.len()),
                Err(_) => self.aspects.iter().position(|a| a.code == *key),
            };
            match index {
                Some(i) => texts[i] = Some(text.trim().to_string()),
                None => problems.push(format!(
                    "走访项目“{}”不在当前表单中，请刷新页面后重填。",
                    key.chars().take(40).collect::<String>()
                )),
            }
        }
        for (def, text) in self.aspects.iter().zip(&texts) {
            if def.required && text.as_deref().is_none_or(str::is_empty) {
                problems.push(format!("“{}”为必填项，请填写后再提交。", def.label));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(self
            .aspects
            .iter()
            .zip(texts)
            .filter_map(|(def, text)| {
                text.filter(|t| !t.is_empty()).map(|text| VisitAspect {
                    code: def.code.clone(),
                    label: def.label.clone(),
                    text,
                })
            })
            .collect())
    }
}

fn national() -> &'static RulePack {
    static NATIONAL: OnceLock<RulePack> = OnceLock::new();
    NATIONAL.get_or_init(crate::national)
}

/// The visit form of a pack, or the national one when the pack has none.
pub fn form_of(pack: &RulePack) -> &VisitForm {
    pack.visit_form
        .as_ref()
        .or(national().visit_form.as_ref())
        .expect("the national pack has a visit form")
}

/// The thresholds of the visit checks in force on `date`: the pack's parameters, each falling
/// back to the national value when the pack has none.
pub fn check_params(pack: &RulePack, date: NaiveDate) -> CheckParams {
    let value = |name: &str| {
        let of = |p: &RulePack| match p.parameter(name).map(|p| p.value_on(date)) {
            Some(Value::Int(v)) => Some(v),
            _ => None,
        };
        of(pack).or_else(|| of(national())).unwrap_or_else(|| {
            // A date before the national value's first: its earliest value.
            match national().parameter(name).and_then(|p| p.values.first()) {
                Some((_, Value::Int(v))) => *v,
                _ => unreachable!("the national pack has every visit check parameter"),
            }
        })
    };
    CheckParams {
        max_distance_m: value("visit_check_max_distance_m"),
        max_accuracy_m: value("visit_check_max_accuracy_m"),
        clock_tolerance_minutes: value("visit_check_clock_tolerance_minutes"),
        max_delay_days: value("visit_check_max_delay_days"),
        max_speed_kmh: value("visit_check_max_speed_kmh"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load, PackSource, NATIONAL_PACK};

    fn national_source() -> PackSource<'static> {
        PackSource {
            file: "national.toml",
            text: NATIONAL_PACK,
        }
    }

    /// The national pack with a local layer: `[pack]` on lines 1–4, `body` from line 5.
    fn with_local(body: &str) -> Result<RulePack, crate::PackErrors> {
        let text =
            format!("[pack]\nname = \"local\"\nversion = \"1\"\nextends = \"national\"\n{body}");
        load(&[
            national_source(),
            PackSource {
                file: "local.toml",
                text: &text,
            },
        ])
    }

    fn errors_of(body: &str) -> Vec<String> {
        with_local(body)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn labels(form: &VisitForm) -> Vec<&str> {
        form.aspects.iter().map(|a| a.label.as_str()).collect()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_national_form_has_the_six_aspects_none_required() {
        let pack = crate::national();
        let form = form_of(&pack);
        assert_eq!(
            labels(form),
            [
                "家庭情况",
                "外观情况",
                "社区表现",
                "邻里关系",
                "社会支持",
                "重点关注"
            ]
        );
        assert_eq!(form.aspects[0].code, "family");
        assert!(form.aspects.iter().all(|a| !a.required && a.hint.is_some()));
    }

    #[test]
    fn a_local_layer_relabels_requires_and_adds_aspects() {
        let pack = with_local(
            r#"
[[visit_form.aspects]]
code = "family"
required = true

[[visit_form.aspects]]
code = "community"
label = "在校与社区表现"

[[visit_form.aspects]]
code = "safety"
label = "居家安全"
hint = "用电、用火、防溺水"
required = true
"#,
        )
        .unwrap();
        let form = form_of(&pack);
        assert_eq!(
            labels(form),
            [
                "家庭情况",
                "外观情况",
                "在校与社区表现",
                "邻里关系",
                "社会支持",
                "重点关注",
                "居家安全"
            ]
        );
        let family = &form.aspects[0];
        assert!(family.required);
        assert_eq!(
            family.hint.as_deref(),
            Some("监护人照料、居住条件、家庭经济与近期变故"),
            "fields not given are kept"
        );
        assert!(!form.aspects[2].required, "relabelled, still optional");
        assert_eq!(form.aspects[6].code, "safety");
        assert!(form.aspects[6].required);
    }

    #[test]
    fn a_layer_without_a_form_keeps_the_one_below() {
        let pack = with_local("").unwrap();
        assert_eq!(form_of(&pack).aspects.len(), 6);
        assert_eq!(pack.visit_form, crate::national().visit_form);
    }

    #[test]
    fn a_pack_without_any_form_gets_the_national_one() {
        // A pack activated before forms were configurable: the national text of that time.
        let start = NATIONAL_PACK.find("[[visit_form.aspects]]").unwrap();
        let old = &NATIONAL_PACK[..start];
        let pack = load(&[PackSource {
            file: "national.toml",
            text: old,
        }])
        .unwrap();
        assert_eq!(pack.visit_form, None);
        assert_eq!(form_of(&pack).aspects.len(), 6);
    }

    #[test]
    fn visit_form_mistakes_are_located() {
        let errors = errors_of(
            r#"
[[visit_form.aspects]]
code = "Safety"
label = "居家安全"

[[visit_form.aspects]]
code = "school"

[[visit_form.aspects]]
code = "family"
label = ""

[[visit_form.aspects]]
code = "focus"
required = true

[[visit_form.aspects]]
code = "focus"
label = "重点"
"#,
        );
        assert_eq!(
            errors,
            [
                "local.toml:7:8: 走访表单项目代码“Safety”应以小写字母开头，只含小写字母、数字和下划线（至多32个字符）",
                "local.toml:11:8: 走访表单项目 school 是新增项目，须写 label",
                "local.toml:15:9: 走访表单项目 family：label 不能为空，至多30个字",
                "local.toml:22:8: 走访表单项目 focus 在本文件中重复",
            ]
        );
        let errors =
            errors_of("[[visit_form.aspects]]\ncode = \"x\"\nlabel = \"甲\"\nmandatory = true\n");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("local.toml:8:1: TOML 格式错误")
                && errors[0].contains("mandatory"),
            "{errors:?}"
        );
        let many: String = (0..15)
            .map(|i| format!("[[visit_form.aspects]]\ncode = \"extra{i}\"\nlabel = \"项目{i}\"\n"))
            .collect();
        assert_eq!(
            errors_of(&many),
            ["local.toml:6:8: 走访表单有 21 个项目，至多 20 个"]
        );
    }

    #[test]
    fn answers_are_collected_in_form_order_with_code_and_label() {
        let pack = with_local(
            "[[visit_form.aspects]]\ncode = \"safety\"\nlabel = \"居家安全\"\nrequired = true\n",
        )
        .unwrap();
        let form = form_of(&pack);
        let answer = |k: &str, v: &str| (k.to_string(), v.to_string());
        let got = form
            .collect(&[
                answer("safety", " 电线老化 "),
                answer("family", "祖母照料"),
                answer("appearance", "  "),
            ])
            .unwrap();
        assert_eq!(
            got,
            [
                VisitAspect {
                    code: "family".into(),
                    label: "家庭情况".into(),
                    text: "祖母照料".into()
                },
                VisitAspect {
                    code: "safety".into(),
                    label: "居家安全".into(),
                    text: "电线老化".into()
                },
            ]
        );
        // Positions, as forms saved before codes sent them.
        let got = form
            .collect(&[answer("1", "祖母照料"), answer("7", "无隐患")])
            .unwrap();
        assert_eq!(got[1].code, "safety");
        assert_eq!(
            form.collect(&[answer("family", "祖母照料"), answer("safety", "   ")]),
            Err(vec!["“居家安全”为必填项，请填写后再提交。".to_string()])
        );
        assert_eq!(
            form.collect(&[
                answer("safety", "好"),
                answer("8", "?"),
                answer("pets", "?")
            ]),
            Err(vec![
                "走访项目“8”不在当前表单中，请刷新页面后重填。".to_string(),
                "走访项目“pets”不在当前表单中，请刷新页面后重填。".to_string(),
            ])
        );
    }

    #[test]
    fn check_parameters_come_from_the_pack_or_the_national_values() {
        let national = crate::national();
        assert_eq!(
            check_params(&national, d(2026, 11, 22)),
            CheckParams {
                max_distance_m: 3000,
                max_accuracy_m: 500,
                clock_tolerance_minutes: 10,
                max_delay_days: 7,
                max_speed_kmh: 120,
            }
        );
        let local = with_local(
            r#"
[parameters.visit_check_max_distance_m]
label = "山区：走访位置最大距离"
unit = "米"
values = [{ from = "2019-01-01", value = 3000 }, { from = "2026-12-01", value = 5000 }]
"#,
        )
        .unwrap();
        assert_eq!(check_params(&local, d(2026, 11, 30)).max_distance_m, 3000);
        assert_eq!(check_params(&local, d(2026, 12, 1)).max_distance_m, 5000);
        assert_eq!(check_params(&local, d(2026, 12, 1)).max_speed_kmh, 120);
        // Before any value of the pack's: the earliest national one.
        assert_eq!(check_params(&national, d(2000, 1, 1)).max_delay_days, 7);
    }

    #[test]
    fn check_parameters_must_be_positive_whole_numbers() {
        let errors = errors_of(
            r#"
[parameters.visit_check_max_speed_kmh]
label = "速度"
values = [{ from = "2019-01-01", value = 0 }]

[parameters.visit_check_max_delay_days]
label = "天数"
values = [{ from = "2019-01-01", value = "七" }]
"#,
        );
        assert_eq!(
            errors,
            [
                "local.toml:10:1: 参数 visit_check_max_delay_days 应为不小于 1 的整数",
                "local.toml:6:1: 参数 visit_check_max_speed_kmh 应为不小于 1 的整数",
            ]
        );
    }
}
