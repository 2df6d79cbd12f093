//! Values of the rule language and the evidence that comes with them.

use humiao_core::policy::Reason;

/// The static type of an expression, checked when a pack is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Bool,
    Int,
    Str,
    /// A list of values of one type.
    List(ScalarType),
    /// A person of the case: `child`, `father`, `mother` or a function parameter.
    Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    Int,
    Str,
}

impl Type {
    pub fn name_zh(self) -> &'static str {
        match self {
            Type::Bool => "是/否",
            Type::Int => "整数",
            Type::Str => "文字",
            Type::List(ScalarType::Int) => "整数列表",
            Type::List(ScalarType::Str) => "文字列表",
            Type::Person => "人员",
        }
    }
}

/// A person of the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Child,
    Father,
    Mother,
}

impl Who {
    pub fn label_zh(self) -> &'static str {
        match self {
            Who::Child => "儿童",
            Who::Father => "父亲",
            Who::Mother => "母亲",
        }
    }
}

/// A runtime value. `Unknown` means the data cannot say (a parent nobody has identified);
/// `Null` means the data says there is nothing (no disability certificate). They differ: "no
/// certificate" makes `grade <= 2` false, "parent unknown" makes it unknown.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Unknown,
    Null,
    Bool(bool),
    Int(i64),
    /// Shared, so that copying a value during evaluation never allocates.
    Str(std::sync::Arc<str>),
    List(std::sync::Arc<[Value]>),
    Person(Who),
}

/// The truth of a condition in three-valued (Kleene) logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Value {
    pub fn truth(&self) -> Truth {
        match self {
            Value::Bool(true) => Truth::True,
            Value::Unknown => Truth::Unknown,
            _ => Truth::False,
        }
    }

    pub fn display(&self) -> String {
        match self {
            Value::Unknown => "不详".into(),
            Value::Null => "无".into(),
            Value::Bool(true) => "是".into(),
            Value::Bool(false) => "否".into(),
            Value::Int(i) => i.to_string(),
            Value::Str(s) => s.to_string(),
            Value::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Value::display)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            Value::Person(w) => w.label_zh().into(),
        }
    }
}

/// A value with why it is what it is: the facts that decided it (with their source records),
/// and, when it is unknown, what is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub value: Value,
    pub reasons: Vec<Reason>,
    pub missing: Vec<String>,
}

impl Evidence {
    pub fn plain(value: Value) -> Self {
        Self {
            value,
            reasons: Vec::new(),
            missing: Vec::new(),
        }
    }

    pub fn because(value: Value, reason: Reason) -> Self {
        Self {
            value,
            reasons: vec![reason],
            missing: Vec::new(),
        }
    }

    pub fn unknown(missing: String) -> Self {
        Self {
            value: Value::Unknown,
            reasons: Vec::new(),
            missing: vec![missing],
        }
    }

    /// Adds the reasons and missing items of `other` (without duplicates). Two readings of one
    /// fact ("母亲服刑在押…" and "母亲服刑在押…，期限71个月") keep only the fuller text.
    pub fn absorb(&mut self, other: Evidence) {
        for r in other.reasons {
            let same_fact = self.reasons.iter_mut().find(|x| {
                x.sources == r.sources
                    && (r.text.starts_with(&x.text) || x.text.starts_with(&r.text))
            });
            match same_fact {
                Some(x) if r.text.len() > x.text.len() => *x = r,
                Some(_) => {}
                None => self.reasons.push(r),
            }
        }
        for m in other.missing {
            if !self.missing.contains(&m) {
                self.missing.push(m);
            }
        }
    }
}
