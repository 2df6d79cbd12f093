//! Rule packs: the TOML format, loading, validation with file/line/column, parameters with
//! effective dates, and a local pack overriding the national one.
//!
//! ```toml
//! [pack]
//! name = "national"            # a local pack: name = "some-county", extends = "national"
//! version = "2026.1"
//! title = "全国基线"
//!
//! [parameters.adult_age]
//! label = "成年年龄（周岁）"
//! values = [{ from = "1900-01-01", value = 18 }]
//!
//! [functions.parent_condition]      # a named condition over a person
//! params = ["p"]
//! when = "p.dead or p.custody_months >= condition_min_months"
//!
//! [categories.orphan]              # a category the software knows, by its code
//! policy = "国办发〔2010〕54号"
//! when = "age < adult_age and father.dead and mother.dead"
//!
//! [entitlements.orphan_allowance]  # an allowance the category gives, paid as `payment`
//! label = "孤儿基本生活费"
//! policy = "国办发〔2010〕54号"
//! when = "category.orphan"
//! payment = "orphan_allowance"
//! monthly_fen = "orphan_allowance_fen"
//! group = "basic_living"           # within a group only the highest amount is paid (就高不就低)
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::NaiveDate;
use humiao_core::policy::Category;
use serde::Deserialize;
use toml::Spanned;

use crate::compile::{compile, CompileError, Node, Scope};
use crate::expr::parse;
use crate::value::{Type, Value};
use crate::vocab;

/// A problem in a pack, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {problem}")]
pub struct PackError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub problem: String,
}

/// All problems found in a pack (validation does not stop at the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PackErrors(pub Vec<PackError>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    pack: RawHeader,
    #[serde(default)]
    parameters: BTreeMap<String, Spanned<RawParameter>>,
    #[serde(default)]
    functions: BTreeMap<String, Spanned<RawFunction>>,
    #[serde(default)]
    categories: BTreeMap<String, Spanned<RawCategory>>,
    #[serde(default)]
    entitlements: BTreeMap<String, Spanned<RawEntitlement>>,
    /// Not `Spanned`: `[risk.general.indicators.x]` alone makes `risk.general` an implicit table,
    /// which carries no span.
    #[serde(default)]
    risk: BTreeMap<String, RawRisk>,
    /// Not `Spanned` either: `[[visit_form.aspects]]` alone makes `visit_form` implicit.
    #[serde(default)]
    visit_form: Option<RawVisitForm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVisitForm {
    #[serde(default)]
    aspects: Vec<RawAspect>,
}

/// One `[[visit_form.aspects]]` entry: a new aspect (code and label), or changes to one of
/// the same code below (the fields given).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAspect {
    code: Spanned<String>,
    #[serde(default)]
    label: Option<Spanned<String>>,
    #[serde(default)]
    hint: Option<Spanned<String>>,
    #[serde(default)]
    required: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRisk {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    levels: Option<Vec<Spanned<RawLevel>>>,
    #[serde(default)]
    persistent_level: Option<Spanned<String>>,
    #[serde(default)]
    persistent_assessments: Option<usize>,
    #[serde(default)]
    rise_points: Option<u32>,
    #[serde(default)]
    rise_days: Option<i64>,
    #[serde(default)]
    indicators: BTreeMap<String, Spanned<RawIndicator>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    code: String,
    label: String,
    min: u32,
    colour: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    group: Spanned<String>,
    label: String,
    weight: Spanned<i64>,
    #[serde(default)]
    urgent: bool,
    /// "data" (default) or "visit".
    #[serde(default)]
    source: Option<Spanned<String>>,
    #[serde(default)]
    when: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    version: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    extends: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    label: String,
    #[serde(default)]
    unit: Option<String>,
    values: Vec<Spanned<RawDated>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDated {
    from: Spanned<String>,
    value: Spanned<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    #[serde(default)]
    label: Option<String>,
    params: Vec<String>,
    when: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    policy: String,
    when: Spanned<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntitlement {
    label: String,
    policy: String,
    when: Spanned<String>,
    payment: Spanned<String>,
    monthly_fen: Spanned<String>,
    #[serde(default)]
    group: Option<String>,
}

/// A parameter: its values over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub label: String,
    pub unit: Option<String>,
    pub ty: Type,
    /// (effective from, value), sorted by date.
    pub values: Vec<(NaiveDate, Value)>,
}

impl Parameter {
    /// The value in force on `date`: the latest whose `from` is on or before it.
    pub fn value_on(&self, date: NaiveDate) -> Value {
        self.values
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .map_or(Value::Unknown, |(_, v)| v.clone())
    }
}

/// A rule's text as written and the compiled form.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub source: String,
    pub node: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub label: Option<String>,
    pub params: Vec<String>,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRule {
    pub category: Category,
    pub policy: String,
    pub note: Option<String>,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entitlement {
    pub code: String,
    pub label: String,
    pub policy: String,
    pub rule: Rule,
    /// The assistance type code its payments carry.
    pub payment: String,
    pub monthly_fen: Rule,
    pub group: Option<String>,
}

/// A validated, compiled pack (a local pack already merged over its base).
#[derive(Debug, Clone, PartialEq)]
pub struct RulePack {
    pub name: String,
    pub version: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Names of the packs it is made of, base first.
    pub layers: Vec<String>,
    pub parameters: Vec<Parameter>,
    pub functions: Vec<Function>,
    /// In evaluation order: a category comes after those it refers to.
    pub categories: Vec<CategoryRule>,
    pub entitlements: Vec<Entitlement>,
    /// Risk models, the general one (`general`) first.
    pub risk: Vec<crate::risk::RiskModel>,
    /// The visit form, when a layer defines one (`crate::visit::form_of` falls back to the
    /// national form for packs activated before forms were configurable).
    pub visit_form: Option<crate::visit::VisitForm>,
}

impl RulePack {
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

/// Parameters the engine itself needs, with their type.
pub const REQUIRED_PARAMETERS: [(&str, Type); 1] = [("payment_lookback_months", Type::Int)];

/// Categories decided from entitlements and payments, not by a pack rule.
pub const DERIVED_CATEGORIES: [Category; 2] = [
    Category::EntitledNotReceiving,
    Category::ReceivingNotEntitled,
];

/// One source file of a pack.
#[derive(Debug, Clone)]
pub struct PackSource<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

struct Errors<'a> {
    source: &'a PackSource<'a>,
    list: Vec<PackError>,
}

impl Errors<'_> {
    fn at(&mut self, offset: usize, problem: impl Into<String>) {
        let (line, column) = line_col(self.source.text, offset);
        self.list.push(PackError {
            file: self.source.file.to_string(),
            line,
            column,
            problem: problem.into(),
        });
    }

    /// An error inside a rule string: `span` is the TOML string's span, `inner` the byte offset
    /// inside the rule text.
    fn in_rule(&mut self, span: &Range<usize>, inner: usize, problem: impl Into<String>) {
        let raw = self.source.text.get(span.clone()).unwrap_or("");
        // Skip the opening quote(s) and, for a multi-line string, the newline after them.
        let mut skip = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else {
            1
        };
        if skip == 3 && raw[3..].starts_with('\n') {
            skip += 1;
        } else if skip == 3 && raw[3..].starts_with("\r\n") {
            skip += 2;
        }
        self.at(span.start + skip + inner, problem);
    }
}

/// Parses one pack file (TOML) without compiling its rules.
fn read(source: &PackSource) -> Result<RawPack, PackErrors> {
    toml::from_str::<RawPack>(source.text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = line_col(source.text, offset);
        PackErrors(vec![PackError {
            file: source.file.to_string(),
            line,
            column,
            problem: format!("TOML 格式错误：{}", e.message()),
        }])
    })
}

fn param_value(v: &toml::Value) -> Option<(Value, Type)> {
    Some(match v {
        toml::Value::Integer(i) => (Value::Int(*i), Type::Int),
        toml::Value::Boolean(b) => (Value::Bool(*b), Type::Bool),
        toml::Value::String(s) => (Value::Str(s.as_str().into()), Type::Str),
        toml::Value::Array(items) => {
            let values: Option<Vec<(Value, Type)>> = items.iter().map(param_value).collect();
            let values = values?;
            let first = values.first()?.1;
            if values.iter().any(|(_, t)| *t != first) {
                return None;
            }
            let ty = vocab::list_type(first)?;
            (
                Value::List(
                    values
                        .into_iter()
                        .map(|(v, _)| v)
                        .collect::<Vec<_>>()
                        .into(),
                ),
                ty,
            )
        }
        _ => return None,
    })
}

/// Which pack a name came from, for error locations after merging.
#[derive(Clone, Copy)]
struct Origin(usize);

/// Loads a pack from its layers (base first, e.g. the national pack then a local override),
/// validates everything and compiles the rules. Every problem found is reported.
pub fn load(layers: &[PackSource]) -> Result<RulePack, PackErrors> {
    let mut raws = Vec::new();
    let mut all_errors = Vec::new();
    for source in layers {
        match read(source) {
            Ok(raw) => raws.push(raw),
            Err(e) => all_errors.extend(e.0),
        }
    }
    if !all_errors.is_empty() {
        return Err(PackErrors(all_errors));
    }
    let mut errors: Vec<Errors> = layers
        .iter()
        .map(|s| Errors {
            source: s,
            list: Vec::new(),
        })
        .collect();
    // A later layer must extend one below it (a local pack and the specialised models may
    // both extend the national one).
    for (i, raw) in raws.iter().enumerate().skip(1) {
        let base = &raws[i - 1].pack.name;
        match &raw.pack.extends {
            Some(ext) if raws[..i].iter().any(|r| &r.pack.name == ext.get_ref()) => {}
            Some(ext) => errors[i].at(
                ext.span().start,
                format!(
                    "extends = \"{}\"，但它之下没有这个规则包（它叠加在“{base}”之上）",
                    ext.get_ref()
                ),
            ),
            None => errors[i].at(0, format!("本地规则包须写明 extends = \"{base}\"")),
        }
    }
    if let Some(ext) = &raws[0].pack.extends {
        errors[0].at(
            ext.span().start,
            format!("规则包扩展“{}”，但没有提供该基础规则包", ext.get_ref()),
        );
    }

    // Merge: a later layer replaces a whole entry of the same name; a parameter's values are
    // replaced as a whole too (a local pack states its own history).
    let mut params: BTreeMap<String, (Origin, &Spanned<RawParameter>)> = BTreeMap::new();
    let mut functions: BTreeMap<String, (Origin, &Spanned<RawFunction>)> = BTreeMap::new();
    let mut categories: BTreeMap<String, (Origin, &Spanned<RawCategory>)> = BTreeMap::new();
    let mut entitlements: BTreeMap<String, (Origin, &Spanned<RawEntitlement>)> = BTreeMap::new();
    let mut risk: BTreeMap<String, Vec<(Origin, &RawRisk)>> = BTreeMap::new();
    for (i, raw) in raws.iter().enumerate() {
        for (k, v) in &raw.risk {
            risk.entry(k.clone()).or_default().push((Origin(i), v));
        }
        for (k, v) in &raw.parameters {
            params.insert(k.clone(), (Origin(i), v));
        }
        for (k, v) in &raw.functions {
            functions.insert(k.clone(), (Origin(i), v));
        }
        for (k, v) in &raw.categories {
            categories.insert(k.clone(), (Origin(i), v));
        }
        for (k, v) in &raw.entitlements {
            entitlements.insert(k.clone(), (Origin(i), v));
        }
    }

    // Parameters.
    let mut parameters = Vec::new();
    for (name, (origin, spanned)) in &params {
        let e = &mut errors[origin.0];
        let raw = spanned.get_ref();
        if vocab::top_var(name).is_some() || vocab::builtin(name).is_some() || name == "category" {
            e.at(
                spanned.span().start,
                format!("参数名“{name}”与内置名称重复"),
            );
            continue;
        }
        let mut values = Vec::new();
        let mut ty = None;
        for dated in &raw.values {
            let d = dated.get_ref();
            let Ok(from) = NaiveDate::parse_from_str(d.from.get_ref(), "%Y-%m-%d") else {
                e.at(
                    d.from.span().start,
                    format!("参数 {name}：生效日期“{}”应为 YYYY-MM-DD", d.from.get_ref()),
                );
                continue;
            };
            let Some((value, t)) = param_value(d.value.get_ref()) else {
                e.at(
                    d.value.span().start,
                    format!("参数 {name}：取值只能是整数、文字、是/否或同类型的列表"),
                );
                continue;
            };
            match ty {
                None => ty = Some(t),
                Some(prev) if prev != t => {
                    e.at(
                        d.value.span().start,
                        format!(
                            "参数 {name}：各时期取值类型不一致（{}与{}）",
                            prev.name_zh(),
                            t.name_zh()
                        ),
                    );
                    continue;
                }
                _ => {}
            }
            if values.iter().any(|(f, _)| *f == from) {
                e.at(
                    d.from.span().start,
                    format!("参数 {name}：生效日期 {from} 重复"),
                );
                continue;
            }
            values.push((from, value));
        }
        let Some(ty) = ty else {
            e.at(spanned.span().start, format!("参数 {name} 没有任何取值"));
            continue;
        };
        values.sort_by_key(|(d, _)| *d);
        parameters.push(Parameter {
            name: name.clone(),
            label: raw.label.clone(),
            unit: raw.unit.clone(),
            ty,
            values,
        });
    }
    for (name, ty) in REQUIRED_PARAMETERS {
        match parameters.iter().find(|p| p.name == name) {
            Some(p) if p.ty != ty => errors[0].at(0, format!("参数 {name} 应为{}", ty.name_zh())),
            Some(_) => {}
            None => errors[raws.len() - 1].at(0, format!("缺少必需的参数 {name}")),
        }
    }

    // The visit checks' thresholds: whole numbers, positive (the clock tolerance may be 0).
    for (name, min) in crate::visit::CHECK_PARAMETERS {
        let Some(p) = parameters.iter().find(|p| p.name == name) else {
            continue;
        };
        let (origin, spanned) = params[name];
        let bad = p.ty != Type::Int
            || p.values
                .iter()
                .any(|(_, v)| !matches!(v, Value::Int(i) if *i >= min));
        if bad {
            errors[origin.0].at(
                spanned.span().start,
                format!("参数 {name} 应为不小于 {min} 的整数"),
            );
        }
    }

    let visit_form = merge_visit_form(&raws, &mut errors);

    // Category codes.
    let mut category_order: Vec<(Category, String)> = Vec::new();
    for (code, (origin, spanned)) in &categories {
        match Category::parse(code) {
            Some(c) if DERIVED_CATEGORIES.contains(&c) => errors[origin.0].at(
                spanned.span().start,
                format!("类别 {code} 由待遇与发放记录自动判定，不能写规则"),
            ),
            Some(c) => category_order.push((c, code.clone())),
            None => errors[origin.0].at(
                spanned.span().start,
                format!(
                    "未知类别代码“{code}”；可写规则的类别有：{}",
                    Category::ALL
                        .iter()
                        .filter(|c| !DERIVED_CATEGORIES.contains(c))
                        .map(|c| c.code())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            ),
        }
    }

    // The scope every rule compiles in.
    let mut scope = Scope::default();
    for (i, p) in parameters.iter().enumerate() {
        scope.params.insert(p.name.as_str(), (i, p.ty));
    }
    for (i, (_, code)) in category_order.iter().enumerate() {
        scope.categories.insert(code.as_str(), i);
    }
    let function_names: Vec<&String> = functions.keys().collect();
    for (i, (name, (_, f))) in functions.iter().enumerate() {
        // Pack functions return a condition; checked below.
        scope
            .functions
            .insert(name.as_str(), (i, f.get_ref().params.len(), Type::Bool));
    }

    // Functions (may call functions defined before or after, but not themselves).
    let mut compiled_functions = Vec::new();
    for (name, (origin, spanned)) in &functions {
        let raw = spanned.get_ref();
        let e = &mut errors[origin.0];
        if vocab::top_var(name).is_some() || vocab::builtin(name).is_some() {
            e.at(
                spanned.span().start,
                format!("函数名“{name}”与内置名称重复"),
            );
        }
        let locals: Vec<&str> = raw.params.iter().map(String::as_str).collect();
        let rule = compile_rule(
            &mut scope,
            e,
            &raw.when,
            locals,
            Type::Bool,
            &format!("函数 {name}"),
        );
        compiled_functions.push(rule.map(|rule| Function {
            name: name.clone(),
            label: raw.label.clone(),
            params: raw.params.clone(),
            rule,
        }));
    }
    // No recursion: a function may not reach itself.
    let calls: Vec<Vec<usize>> = compiled_functions
        .iter()
        .map(|f| f.as_ref().map_or(Vec::new(), |f| called(&f.rule.node)))
        .collect();
    for (i, name) in function_names.iter().enumerate() {
        if reaches(&calls, i, i) {
            let (origin, spanned) = &functions[*name];
            errors[origin.0].at(
                spanned.get_ref().when.span().start,
                format!("函数 {name} 直接或间接调用了自身"),
            );
        }
    }

    // Categories.
    let mut compiled_categories = Vec::new();
    for (category, code) in &category_order {
        let (origin, spanned) = categories[code];
        let raw = spanned.get_ref();
        let rule = compile_rule(
            &mut scope,
            &mut errors[origin.0],
            &raw.when,
            Vec::new(),
            Type::Bool,
            &format!("类别 {code}"),
        );
        compiled_categories.push(rule.map(|rule| CategoryRule {
            category: *category,
            policy: raw.policy.clone(),
            note: raw.note.clone(),
            rule,
        }));
    }

    // Entitlements.
    let mut compiled_entitlements = Vec::new();
    for (code, (origin, spanned)) in &entitlements {
        let raw = spanned.get_ref();
        let e = &mut errors[origin.0];
        if !vocab::ASSISTANCE_CODES.contains(&raw.payment.get_ref().as_str()) {
            e.at(
                raw.payment.span().start,
                format!(
                    "待遇 {code}：发放类型“{}”未知；可用的有：{}",
                    raw.payment.get_ref(),
                    vocab::ASSISTANCE_CODES.join("、")
                ),
            );
        }
        let rule = compile_rule(
            &mut scope,
            e,
            &raw.when,
            Vec::new(),
            Type::Bool,
            &format!("待遇 {code}"),
        );
        let amount = compile_rule(
            &mut scope,
            e,
            &raw.monthly_fen,
            Vec::new(),
            Type::Int,
            &format!("待遇 {code} 的月发放标准"),
        );
        if let (Some(rule), Some(monthly_fen)) = (rule, amount) {
            compiled_entitlements.push(Entitlement {
                code: code.clone(),
                label: raw.label.clone(),
                policy: raw.policy.clone(),
                rule,
                payment: raw.payment.get_ref().clone(),
                monthly_fen,
                group: raw.group.clone(),
            });
        }
    }

    // Risk models: their rules may also use the derived categories (应保未保 …), which are
    // decided after every category and entitlement.
    let mut risk_scope = scope.categories.clone();
    for (k, d) in DERIVED_CATEGORIES.iter().enumerate() {
        risk_scope.insert(d.code(), category_order.len() + k);
    }
    std::mem::swap(&mut scope.categories, &mut risk_scope);
    let mut models = Vec::new();
    for (code, layers) in &risk {
        if let Some(model) = compile_risk(code, layers, &mut scope, &mut errors) {
            models.push(model);
        }
    }
    std::mem::swap(&mut scope.categories, &mut risk_scope);
    // The general model first, then the specialised ones by code.
    models.sort_by_key(|m: &crate::risk::RiskModel| (m.code != "general", m.code.clone()));

    let problems: Vec<PackError> = errors.into_iter().flat_map(|e| e.list).collect();
    if !problems.is_empty() {
        return Err(PackErrors(problems));
    }
    let mut functions: Vec<Function> = compiled_functions.into_iter().flatten().collect();
    let categories: Vec<CategoryRule> = compiled_categories.into_iter().flatten().collect();
    let mut entitlements = compiled_entitlements;

    // Evaluation order of categories: dependencies first; a cycle is an error.
    let order = match category_order_of(&categories, &functions) {
        Ok(order) => order,
        Err(code) => {
            let (origin, spanned) = &categories_raw(&raws, &code);
            let mut e = Errors {
                source: &layers[*origin],
                list: Vec::new(),
            };
            e.at(
                *spanned,
                format!("类别规则循环引用：{code} 经由其他类别又引用了自身"),
            );
            return Err(PackErrors(e.list));
        }
    };
    let mut new_index = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    for f in &mut functions {
        renumber(&mut f.rule.node, &new_index);
    }
    for e in &mut entitlements {
        renumber(&mut e.rule.node, &new_index);
        renumber(&mut e.monthly_fen.node, &new_index);
    }
    for m in &mut models {
        for i in &mut m.indicators {
            if let Some(rule) = &mut i.rule {
                renumber(&mut rule.node, &new_index);
            }
        }
    }
    let top = raws.last().expect("at least one layer");
    Ok(RulePack {
        name: top.pack.name.clone(),
        version: top.pack.version.clone(),
        title: top.pack.title.clone(),
        description: top.pack.description.clone(),
        layers: raws
            .iter()
            .map(|r| format!("{} {}", r.pack.name, r.pack.version))
            .collect(),
        parameters,
        functions,
        categories: reorder(categories, &order, &new_index),
        entitlements,
        risk: models,
        visit_form,
    })
}

/// Most aspects a visit form may have: it is filled in on a phone.
pub const MAX_VISIT_ASPECTS: usize = 20;

/// The visit form from the layers, base first: the first layer with aspects sets them in order;
/// a later layer changes the fields it gives of an aspect of the same code and appends aspects
/// with new codes. `None` when no layer has a form.
fn merge_visit_form(raws: &[RawPack], errors: &mut [Errors]) -> Option<crate::visit::VisitForm> {
    use crate::visit::{AspectDef, VisitForm};
    let mut aspects: Vec<AspectDef> = Vec::new();
    let mut any = false;
    // Where the last layer's first aspect is, to point at problems of the form as a whole.
    let mut last_at: Option<(usize, usize)> = None;
    for (i, raw) in raws.iter().enumerate() {
        let Some(form) = &raw.visit_form else {
            continue;
        };
        any = true;
        let e = &mut errors[i];
        let mut seen: Vec<&str> = Vec::new();
        for a in &form.aspects {
            let code = a.code.get_ref();
            let at = a.code.span().start;
            let valid_code = code.len() <= 32
                && code.starts_with(|c: char| c.is_ascii_lowercase())
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_code {
                e.at(
                    at,
                    format!(
                        "走访表单项目代码“{code}”应以小写字母开头，只含小写字母、数字和下划线（至多32个字符）"
                    ),
                );
                continue;
            }
            if seen.contains(&code.as_str()) {
                e.at(at, format!("走访表单项目 {code} 在本文件中重复"));
                continue;
            }
            seen.push(code);
            let label = a
                .label
                .as_ref()
                .map(|l| (l.get_ref().trim(), l.span().start));
            if let Some((text, at)) = label {
                if text.is_empty() || text.chars().count() > 30 {
                    e.at(
                        at,
                        format!("走访表单项目 {code}：label 不能为空，至多30个字"),
                    );
                    continue;
                }
            }
            if let Some(h) = &a.hint {
                if h.get_ref().chars().count() > 200 {
                    e.at(
                        h.span().start,
                        format!("走访表单项目 {code}：hint 至多200个字"),
                    );
                    continue;
                }
            }
            let hint = a
                .hint
                .as_ref()
                .map(|h| h.get_ref().trim().to_string())
                .filter(|h| !h.is_empty());
            match aspects.iter_mut().find(|d| d.code == *code) {
                Some(d) => {
                    if let Some((text, _)) = label {
                        d.label = text.to_string();
                    }
                    if a.hint.is_some() {
                        d.hint = hint;
                    }
                    if let Some(r) = a.required {
                        d.required = r;
                    }
                }
                None => match label {
                    Some((text, _)) => aspects.push(AspectDef {
                        code: code.clone(),
                        label: text.to_string(),
                        hint,
                        required: a.required.unwrap_or(false),
                    }),
                    None => e.at(at, format!("走访表单项目 {code} 是新增项目，须写 label")),
                },
            }
        }
        if let Some(first) = form.aspects.first() {
            last_at = Some((i, first.code.span().start));
        }
    }
    if !any {
        return None;
    }
    let (layer, at) = last_at.unwrap_or((raws.len() - 1, 0));
    if aspects.is_empty() {
        errors[layer].at(at, "走访表单至少要有一个项目");
    } else if aspects.len() > MAX_VISIT_ASPECTS {
        errors[layer].at(
            at,
            format!(
                "走访表单有 {} 个项目，至多 {MAX_VISIT_ASPECTS} 个",
                aspects.len()
            ),
        );
    }
    Some(VisitForm { aspects })
}

/// Compiles one risk model from its layers (base first): a later layer replaces the levels and
/// dynamic settings it gives and indicators of the same code, and adds new indicators.
fn compile_risk<'s>(
    code: &str,
    layers: &[(Origin, &'s RawRisk)],
    scope: &mut Scope<'s>,
    errors: &mut [Errors],
) -> Option<crate::risk::RiskModel> {
    use crate::risk::{DynamicRules, Indicator, IndicatorGroup, RiskLevel, RiskModel};
    let (first_origin, first) = layers[0];
    // Where to point at the model as a whole: its first indicator or levels, else the file start.
    let first_at = first
        .indicators
        .values()
        .next()
        .map(|i| i.span().start)
        .or_else(|| {
            first
                .levels
                .as_ref()
                .and_then(|l| l.first())
                .map(|l| l.span().start)
        })
        .unwrap_or(0);
    let mut label = None;
    let mut levels: Option<(Origin, &Vec<Spanned<RawLevel>>)> = None;
    let mut persistent: Option<(Origin, &Spanned<String>)> = None;
    let (mut persistent_assessments, mut rise_points, mut rise_days) = (None, None, None);
    let mut indicators: BTreeMap<&String, (Origin, &Spanned<RawIndicator>)> = BTreeMap::new();
    for &(origin, raw_ref) in layers {
        label = raw_ref.label.clone().or(label);
        if let Some(l) = &raw_ref.levels {
            levels = Some((origin, l));
        }
        if let Some(p) = &raw_ref.persistent_level {
            persistent = Some((origin, p));
        }
        persistent_assessments = raw_ref.persistent_assessments.or(persistent_assessments);
        rise_points = raw_ref.rise_points.or(rise_points);
        rise_days = raw_ref.rise_days.or(rise_days);
        for (k, v) in &raw_ref.indicators {
            indicators.insert(k, (origin, v));
        }
    }
    let mut ok = true;
    let Some((levels_origin, raw_levels)) = levels else {
        errors[first_origin.0].at(first_at, format!("风险模型 {code} 缺少 levels"));
        return None;
    };
    let levels: Vec<RiskLevel> = raw_levels
        .iter()
        .map(|l| {
            let l = l.get_ref();
            RiskLevel {
                code: l.code.clone(),
                label: l.label.clone(),
                min: l.min,
                colour: l.colour.clone(),
            }
        })
        .collect();
    let descending = levels.windows(2).all(|w| w[0].min > w[1].min);
    if levels.is_empty() || !descending || levels.last().is_some_and(|l| l.min != 0) {
        let at = raw_levels.first().map_or(first_at, |l| l.span().start);
        errors[levels_origin.0].at(
            at,
            format!("风险模型 {code}：levels 须从最严重到最轻排列，min 严格递减且最后一级 min = 0"),
        );
        ok = false;
    }
    let persistent_level = match persistent {
        Some((origin, p)) => match levels.iter().position(|l| &l.code == p.get_ref()) {
            Some(i) => i,
            None => {
                errors[origin.0].at(
                    p.span().start,
                    format!(
                        "风险模型 {code}：persistent_level “{}”不是已定义的等级",
                        p.get_ref()
                    ),
                );
                ok = false;
                0
            }
        },
        None => 1.min(levels.len().saturating_sub(1)),
    };
    let mut compiled = Vec::new();
    for (ind_code, (origin, spanned)) in indicators {
        let raw = spanned.get_ref();
        let e = &mut errors[origin.0];
        let Some(group) = IndicatorGroup::parse(raw.group.get_ref()) else {
            e.at(
                raw.group.span().start,
                format!(
                    "指标 {ind_code}：分组“{}”应为 child、family 或 environment",
                    raw.group.get_ref()
                ),
            );
            ok = false;
            continue;
        };
        let weight = *raw.weight.get_ref();
        if !(0..=100).contains(&weight) {
            e.at(
                raw.weight.span().start,
                format!("指标 {ind_code}：权重应在 0–100 之间"),
            );
            ok = false;
            continue;
        }
        let from_visit = match raw.source.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("data") => false,
            Some("visit") => true,
            Some(other) => {
                let at = raw.source.as_ref().map_or(0, |s| s.span().start);
                e.at(
                    at,
                    format!("指标 {ind_code}：source “{other}”应为 data 或 visit"),
                );
                ok = false;
                continue;
            }
        };
        let rule = match &raw.when {
            Some(when) => {
                match compile_rule(
                    scope,
                    e,
                    when,
                    Vec::new(),
                    Type::Bool,
                    &format!("指标 {ind_code}"),
                ) {
                    Some(rule) => Some(rule),
                    None => {
                        ok = false;
                        continue;
                    }
                }
            }
            None if from_visit => None,
            None => {
                e.at(
                    spanned.span().start,
                    format!("指标 {ind_code}：数据指标须写 when（或写 source = \"visit\"）"),
                );
                ok = false;
                continue;
            }
        };
        compiled.push(Indicator {
            code: ind_code.clone(),
            group,
            label: raw.label.clone(),
            weight: weight as u32,
            urgent: raw.urgent,
            from_visit,
            rule,
        });
    }
    if compiled.iter().map(|i| i.weight).sum::<u32>() == 0 && ok {
        errors[first_origin.0].at(first_at, format!("风险模型 {code}：指标权重之和为0"));
        ok = false;
    }
    ok.then(|| RiskModel {
        code: code.to_string(),
        label: label.unwrap_or_else(|| code.to_string()),
        levels,
        dynamic: DynamicRules {
            persistent_level,
            persistent_assessments: persistent_assessments.unwrap_or(3),
            rise_points: rise_points.unwrap_or(15),
            rise_days: rise_days.unwrap_or(30),
        },
        indicators: compiled,
    })
}

/// The layer and file offset of a category's definition (the last layer defining it).
fn categories_raw(raws: &[RawPack], code: &str) -> (usize, usize) {
    raws.iter()
        .enumerate()
        .rev()
        .find_map(|(i, r)| r.categories.get(code).map(|c| (i, c.span().start)))
        .unwrap_or((0, 0))
}

/// Parses and compiles one rule string, reporting problems at their place in the file.
fn compile_rule<'s>(
    scope: &mut Scope<'s>,
    e: &mut Errors,
    text: &Spanned<String>,
    locals: Vec<&'s str>,
    want: Type,
    what: &str,
) -> Option<Rule> {
    let source = text.get_ref();
    let expr = match parse(source) {
        Ok(x) => x,
        Err(err) => {
            e.in_rule(
                &text.span(),
                err.span.start,
                format!("{what}：{}", err.message),
            );
            return None;
        }
    };
    scope.locals = locals;
    let result = compile(&expr, scope);
    scope.locals = Vec::new();
    match result {
        Ok((node, ty)) if ty == want => Some(Rule {
            source: source.clone(),
            node,
        }),
        Ok((_, ty)) => {
            e.in_rule(
                &text.span(),
                0,
                format!("{what}：结果应为{}，却是{}", want.name_zh(), ty.name_zh()),
            );
            None
        }
        Err(CompileError { message, span }) => {
            e.in_rule(&text.span(), span.start, format!("{what}：{message}"));
            None
        }
    }
}

/// Indices of pack functions a node calls.
fn called(node: &Node) -> Vec<usize> {
    let mut out = Vec::new();
    visit(node, &mut |n| {
        if let Node::Call(i, _) = n {
            out.push(*i);
        }
    });
    out
}

/// Indices of categories a node refers to, through pack functions too.
fn referenced_categories(node: &Node, functions: &[Function], out: &mut Vec<usize>, depth: u32) {
    if depth > 64 {
        return;
    }
    visit(node, &mut |n| match n {
        Node::Category(i) => out.push(*i),
        Node::Call(f, _) => {
            if let Some(f) = functions.get(*f) {
                referenced_categories(&f.rule.node, functions, out, depth + 1);
            }
        }
        _ => {}
    });
}

pub(crate) fn visit(node: &Node, f: &mut dyn FnMut(&Node)) {
    f(node);
    match node {
        Node::Attr(n, _) | Node::Not(n) | Node::Neg(n) => visit(n, f),
        Node::Builtin(_, items) | Node::Call(_, items) | Node::List(items) => {
            items.iter().for_each(|n| visit(n, f))
        }
        Node::Binary(_, a, b) => {
            visit(a, f);
            visit(b, f);
        }
        Node::Const(_) | Node::Top(_) | Node::Local(_) | Node::Param(_) | Node::Category(_) => {}
    }
}

fn reaches(calls: &[Vec<usize>], from: usize, target: usize) -> bool {
    let mut seen = vec![false; calls.len()];
    let mut stack = calls[from].clone();
    while let Some(n) = stack.pop() {
        if n == target {
            return true;
        }
        if n < seen.len() && !seen[n] {
            seen[n] = true;
            stack.extend(calls[n].iter().copied());
        }
    }
    false
}

/// A topological order of the categories (by their indices at compile time), or the code of a
/// category on a cycle.
fn category_order_of(
    categories: &[CategoryRule],
    functions: &[Function],
) -> Result<Vec<usize>, String> {
    let deps: Vec<Vec<usize>> = categories
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            referenced_categories(&c.rule.node, functions, &mut out, 0);
            out
        })
        .collect();
    let mut state = vec![0u8; categories.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::new();
    fn go(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> Result<(), usize> {
        match state[i] {
            2 => return Ok(()),
            1 => return Err(i),
            _ => {}
        }
        state[i] = 1;
        for &d in &deps[i] {
            go(d, deps, state, order)?;
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..categories.len() {
        go(i, &deps, &mut state, &mut order)
            .map_err(|i| categories[i].category.code().to_string())?;
    }
    Ok(order)
}

/// Reorders the categories and re-points `Node::Category` indices to the new positions.
fn reorder(
    categories: Vec<CategoryRule>,
    order: &[usize],
    new_index: &[usize],
) -> Vec<CategoryRule> {
    let mut slots: Vec<Option<CategoryRule>> = categories.into_iter().map(Some).collect();
    order
        .iter()
        .map(|&old| {
            let mut c = slots[old].take().expect("each index once");
            renumber(&mut c.rule.node, new_index);
            c
        })
        .collect()
}

fn renumber(node: &mut Node, new_index: &[usize]) {
    match node {
        // Indices past the pack's categories are the derived ones; they keep their place.
        Node::Category(i) if *i < new_index.len() => *i = new_index[*i],
        Node::Category(_) => {}
        Node::Attr(n, _) | Node::Not(n) | Node::Neg(n) => renumber(n, new_index),
        Node::Builtin(_, items) | Node::Call(_, items) | Node::List(items) => {
            items.iter_mut().for_each(|n| renumber(n, new_index))
        }
        Node::Binary(_, a, b) => {
            renumber(a, new_index);
            renumber(b, new_index);
        }
        Node::Const(_) | Node::Top(_) | Node::Local(_) | Node::Param(_) => {}
    }
}
