//! Evaluates resolved rules on one case, in three-valued logic, keeping the evidence.
//!
//! Evidence follows the logic: a true `a and b` is true because of both, a false one because of
//! the false side; a true `a or b` because of its first true side. So a decision lists exactly the
//! facts that made it, and an undetermined one lists what is missing.

use crate::compile::Node;
use crate::expr::BinOp;
use crate::value::{Evidence, Truth, Value, Who};
use crate::vocab::{Builtin, Case};

/// Everything an expression can refer to while one case is evaluated.
pub struct Env<'a> {
    pub case: Case<'a>,
    /// Parameter values as of the case date, by parameter index.
    pub params: &'a [Value],
    /// Pack functions, by index.
    pub functions: &'a [crate::pack::Function],
    /// Outcomes of the category rules evaluated so far, by category index.
    pub categories: &'a [Option<Evidence>],
}

pub fn eval(node: &Node, env: &Env, locals: &[Who]) -> Evidence {
    match node {
        Node::Const(v) => Evidence::plain(v.clone()),
        Node::Top(v) => env.case.top(*v),
        Node::Local(i) => Evidence::plain(Value::Person(locals[*i])),
        Node::Attr(person, attr) => match eval(person, env, locals).value {
            Value::Person(who) => env.case.attribute(who, *attr),
            _ => Evidence::unknown("人员不详".into()),
        },
        Node::Param(i) => Evidence::plain(env.params[*i].clone()),
        Node::Category(i) => env.categories[*i]
            .clone()
            .unwrap_or_else(|| Evidence::unknown("类别尚未判定".into())),
        Node::Builtin(b, args) => builtin(*b, args, env, locals),
        Node::Call(f, args) => {
            let mut whos = Vec::with_capacity(args.len());
            for a in args {
                match eval(a, env, locals).value {
                    Value::Person(w) => whos.push(w),
                    _ => return Evidence::unknown("人员不详".into()),
                }
            }
            eval(&env.functions[*f].rule.node, env, &whos)
        }
        Node::List(items) => {
            let mut out = Evidence::plain(Value::Null);
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                let ev = eval(item, env, locals);
                values.push(ev.value.clone());
                out.absorb(ev);
            }
            out.value = Value::List(values.into());
            out
        }
        Node::Not(inner) => {
            let mut ev = eval(inner, env, locals);
            ev.value = match ev.value.truth() {
                Truth::True => Value::Bool(false),
                Truth::False => Value::Bool(true),
                Truth::Unknown => Value::Unknown,
            };
            ev
        }
        Node::Neg(inner) => {
            let mut ev = eval(inner, env, locals);
            ev.value = match ev.value {
                Value::Int(i) => i.checked_neg().map_or(Value::Unknown, Value::Int),
                other => other,
            };
            ev
        }
        Node::Binary(BinOp::And, a, b) => {
            let left = eval(a, env, locals);
            if left.value.truth() == Truth::False {
                return left;
            }
            let right = eval(b, env, locals);
            if right.value.truth() == Truth::False {
                return right;
            }
            let both_true = left.value.truth() == Truth::True && right.value.truth() == Truth::True;
            let mut out = left;
            out.absorb(right);
            out.value = if both_true {
                Value::Bool(true)
            } else {
                Value::Unknown
            };
            out
        }
        Node::Binary(BinOp::Or, a, b) => {
            let left = eval(a, env, locals);
            if left.value.truth() == Truth::True {
                return left;
            }
            let right = eval(b, env, locals);
            if right.value.truth() == Truth::True {
                return right;
            }
            let both_false =
                left.value.truth() == Truth::False && right.value.truth() == Truth::False;
            let mut out = left;
            out.absorb(right);
            out.value = if both_false {
                Value::Bool(false)
            } else {
                Value::Unknown
            };
            out
        }
        Node::Binary(op, a, b) => {
            let left = eval(a, env, locals);
            let right = eval(b, env, locals);
            let value = apply(*op, &left.value, &right.value);
            let mut out = left;
            out.absorb(right);
            out.value = value;
            out
        }
    }
}

fn apply(op: BinOp, a: &Value, b: &Value) -> Value {
    use Value::*;
    if matches!(a, Unknown) || matches!(b, Unknown) {
        return Unknown;
    }
    match op {
        BinOp::Eq | BinOp::Ne => {
            // Nothing equals "none": a parent without a certificate is not of any category.
            let equal = !matches!(a, Null) && !matches!(b, Null) && a == b;
            Bool(equal == (op == BinOp::Eq))
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => match (a, b) {
            (Int(x), Int(y)) => Bool(match op {
                BinOp::Lt => x < y,
                BinOp::Le => x <= y,
                BinOp::Gt => x > y,
                _ => x >= y,
            }),
            _ => Bool(false),
        },
        BinOp::In | BinOp::NotIn => {
            let found = match (a, b) {
                (Null, _) => false,
                (x, List(items)) => items.contains(x),
                _ => false,
            };
            Bool(found == (op == BinOp::In))
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match (a, b) {
            (Int(x), Int(y)) => match op {
                BinOp::Add => x.checked_add(*y),
                BinOp::Sub => x.checked_sub(*y),
                BinOp::Mul => x.checked_mul(*y),
                _ => x.checked_div(*y),
            }
            .map_or(Unknown, Int),
            _ => Null,
        },
        BinOp::And | BinOp::Or => unreachable!("handled with short-circuit"),
    }
}

fn builtin(b: Builtin, args: &[Node], env: &Env, locals: &[Who]) -> Evidence {
    let evs: Vec<Evidence> = args.iter().map(|a| eval(a, env, locals)).collect();
    if let Some(unknown) = evs.iter().find(|e| e.value == Value::Unknown) {
        return unknown.clone();
    }
    match b {
        Builtin::PaidWithin => match (&evs[0].value, &evs[1].value, &evs[2].value) {
            (Value::Person(w), Value::Str(code), Value::Int(months)) => {
                env.case.paid_within(*w, code, *months)
            }
            _ => Evidence::plain(Value::Null),
        },
        Builtin::HouseholdPaidWithin => match (&evs[0].value, &evs[1].value) {
            (Value::Str(code), Value::Int(months)) => env.case.household_paid_within(code, *months),
            _ => Evidence::plain(Value::Null),
        },
        Builtin::Min | Builtin::Max => {
            let mut evs = evs.into_iter();
            let mut out = evs.next().expect("two arguments");
            let second = evs.next().expect("two arguments");
            let value = match (&out.value, &second.value) {
                (Value::Int(x), Value::Int(y)) => Value::Int(if b == Builtin::Min {
                    *x.min(y)
                } else {
                    *x.max(y)
                }),
                _ => Value::Null,
            };
            out.absorb(second);
            out.value = value;
            out
        }
    }
}
