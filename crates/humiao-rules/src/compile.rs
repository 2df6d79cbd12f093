//! Checks an expression against the vocabulary and the pack's own names, and lowers it to a
//! [`Node`] tree with every name resolved, so evaluation does no lookups.

use std::collections::BTreeMap;

use crate::expr::{BinOp, Expr, ExprKind, Span};
use crate::value::{Type, Value};
use crate::vocab::{self, Attr, Builtin, TopVar};

/// A resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Const(Value),
    Top(TopVar),
    /// A parameter of the enclosing pack function (a person), by position.
    Local(usize),
    Attr(Box<Node>, Attr),
    /// A pack parameter, by index; its value depends on the evaluation date.
    Param(usize),
    /// The outcome of another category rule, by index.
    Category(usize),
    Builtin(Builtin, Vec<Node>),
    /// A pack function, by index.
    Call(usize, Vec<Node>),
    List(Vec<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
}

/// What an expression is wrong about, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub message: String,
    pub span: Span,
}

fn err<T>(span: Span, message: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError {
        message: message.into(),
        span,
    })
}

/// The pack's names visible to an expression.
#[derive(Debug, Default)]
pub struct Scope<'a> {
    /// Parameter name → (index, type).
    pub params: BTreeMap<&'a str, (usize, Type)>,
    /// Function name → (index, number of person parameters, return type).
    pub functions: BTreeMap<&'a str, (usize, usize, Type)>,
    /// Category code → index.
    pub categories: BTreeMap<&'a str, usize>,
    /// Names of the person parameters of the function being compiled.
    pub locals: Vec<&'a str>,
}

impl Scope<'_> {
    /// Every name a rule may use, for "did you mean" hints.
    fn known_names(&self) -> Vec<String> {
        let mut names: Vec<String> = vocab::TOP_VARS
            .iter()
            .map(|(n, ..)| n.to_string())
            .chain(self.params.keys().map(|s| s.to_string()))
            .chain(self.locals.iter().map(|s| s.to_string()))
            .collect();
        names.sort();
        names
    }
}

/// Compiles `expr`, returning the node and its type.
pub fn compile(expr: &Expr, scope: &Scope) -> Result<(Node, Type), CompileError> {
    let span = expr.span;
    match &expr.kind {
        ExprKind::Bool(b) => Ok((Node::Const(Value::Bool(*b)), Type::Bool)),
        ExprKind::Int(i) => Ok((Node::Const(Value::Int(*i)), Type::Int)),
        ExprKind::Str(s) => Ok((Node::Const(Value::Str(s.as_str().into())), Type::Str)),
        ExprKind::List(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            let mut item_type = None;
            for item in items {
                let (node, ty) = compile(item, scope)?;
                match item_type {
                    None => item_type = Some(ty),
                    Some(t) if t != ty => {
                        return err(
                            item.span,
                            format!("列表中的值类型不一致：{}与{}", t.name_zh(), ty.name_zh()),
                        )
                    }
                    _ => {}
                }
                nodes.push(node);
            }
            let Some(item_type) = item_type else {
                return err(span, "空列表没有意义");
            };
            let Some(ty) = vocab::list_type(item_type) else {
                return err(span, "列表只能包含整数或文字");
            };
            Ok((Node::List(nodes), ty))
        }
        ExprKind::Path(path) => path_node(path, span, scope),
        ExprKind::Call(name, args) => call_node(name, args, span, scope),
        ExprKind::Not(inner) => {
            let node = expect(inner, Type::Bool, scope, "“not”之后")?;
            Ok((Node::Not(Box::new(node)), Type::Bool))
        }
        ExprKind::Neg(inner) => {
            let node = expect(inner, Type::Int, scope, "负号之后")?;
            Ok((Node::Neg(Box::new(node)), Type::Int))
        }
        ExprKind::Binary(op, a, b) => binary_node(*op, a, b, scope),
    }
}

fn expect(expr: &Expr, want: Type, scope: &Scope, what: &str) -> Result<Node, CompileError> {
    let (node, ty) = compile(expr, scope)?;
    if ty != want {
        return err(
            expr.span,
            format!("{what}应为{}，此处却是{}", want.name_zh(), ty.name_zh()),
        );
    }
    Ok(node)
}

fn path_node(path: &[String], span: Span, scope: &Scope) -> Result<(Node, Type), CompileError> {
    let first = path[0].as_str();
    if path.len() == 1 {
        if let Some(i) = scope.locals.iter().position(|l| *l == first) {
            return Ok((Node::Local(i), Type::Person));
        }
        if let Some(v) = vocab::top_var(first) {
            return Ok((Node::Top(v), v.ty()));
        }
        if let Some(&(i, ty)) = scope.params.get(first) {
            return Ok((Node::Param(i), ty));
        }
        if scope.categories.contains_key(first) {
            return err(span, format!("类别请写作“category.{first}”"));
        }
        return err(
            span,
            format!(
                "未知名称“{first}”；可用的有：{}",
                scope.known_names().join("、")
            ),
        );
    }
    if path.len() == 2 {
        let second = path[1].as_str();
        if first == "category" {
            return match scope.categories.get(second) {
                Some(&i) => Ok((Node::Category(i), Type::Bool)),
                None => err(
                    span,
                    format!(
                        "未知类别“{second}”；本规则包的类别有：{}",
                        scope
                            .categories
                            .keys()
                            .copied()
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                ),
            };
        }
        let person = match scope.locals.iter().position(|l| *l == first) {
            Some(i) => Node::Local(i),
            None => match vocab::top_var(first) {
                Some(v @ TopVar::Person(_)) => Node::Top(v),
                _ => {
                    return err(
                        span,
                        format!(
                            "“{first}”不是人员；属性只能跟在 child、father、mother 或函数参数之后"
                        ),
                    )
                }
            },
        };
        let Some(attr) = vocab::attr(second) else {
            let names: Vec<&str> = vocab::ATTRS.iter().map(|(n, ..)| *n).collect();
            return err(
                span,
                format!("未知属性“{second}”；可用的有：{}", names.join("、")),
            );
        };
        return Ok((Node::Attr(Box::new(person), attr), attr.ty()));
    }
    err(span, format!("无法理解“{}”", path.join(".")))
}

fn call_node(
    name: &str,
    args: &[Expr],
    span: Span,
    scope: &Scope,
) -> Result<(Node, Type), CompileError> {
    if let Some(b) = vocab::builtin(name) {
        let params = b.params();
        if args.len() != params.len() {
            return err(
                span,
                format!("{name} 需要{}个参数，给了{}个", params.len(), args.len()),
            );
        }
        let mut nodes = Vec::new();
        for (i, (arg, want)) in args.iter().zip(params).enumerate() {
            let node = expect(arg, *want, scope, &format!("{name} 的第{}个参数", i + 1))?;
            if let (Some(codes), Node::Const(Value::Str(s))) = (b.codes(i), &node) {
                check_code(s, codes, arg.span)?;
            }
            nodes.push(node);
        }
        return Ok((Node::Builtin(b, nodes), b.returns()));
    }
    if let Some(&(index, arity, ret)) = scope.functions.get(name) {
        if args.len() != arity {
            return err(
                span,
                format!("{name} 需要{arity}个参数，给了{}个", args.len()),
            );
        }
        let nodes = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                expect(
                    a,
                    Type::Person,
                    scope,
                    &format!("{name} 的第{}个参数", i + 1),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((Node::Call(index, nodes), ret));
    }
    err(span, format!("未知函数“{name}”"))
}

fn check_code(s: &str, codes: &[&str], span: Span) -> Result<(), CompileError> {
    if codes.contains(&s) {
        Ok(())
    } else {
        err(
            span,
            format!("“{s}”不是可用的取值；可用的有：{}", codes.join("、")),
        )
    }
}

/// The codes a node's text value can take, if the vocabulary restricts them.
fn codes_of(node: &Node) -> Option<&'static [&'static str]> {
    match node {
        Node::Attr(_, a) => a.codes(),
        Node::Top(TopVar::Sex) => Some(&vocab::SEX_CODES),
        _ => None,
    }
}

/// Checks text literals compared with a coded value (`p.disability_category == 'mentl'`).
fn check_literals(coded: &Node, other: &Node, span: Span) -> Result<(), CompileError> {
    let Some(codes) = codes_of(coded) else {
        return Ok(());
    };
    match other {
        Node::Const(Value::Str(s)) => check_code(s, codes, span),
        Node::List(items) => items.iter().try_for_each(|i| match i {
            Node::Const(Value::Str(s)) => check_code(s, codes, span),
            _ => Ok(()),
        }),
        _ => Ok(()),
    }
}

fn binary_node(op: BinOp, a: &Expr, b: &Expr, scope: &Scope) -> Result<(Node, Type), CompileError> {
    let (left, lt) = compile(a, scope)?;
    let (right, rt) = compile(b, scope)?;
    let mismatch = |want: &str| {
        err(
            a.span.to(b.span),
            format!(
                "“{}”两边应为{want}，此处是{}与{}",
                op.symbol(),
                lt.name_zh(),
                rt.name_zh()
            ),
        )
    };
    let ty = match op {
        BinOp::And | BinOp::Or => {
            if lt != Type::Bool || rt != Type::Bool {
                return mismatch("是/否条件");
            }
            Type::Bool
        }
        BinOp::Eq | BinOp::Ne => {
            if lt != rt || matches!(lt, Type::List(_) | Type::Person) {
                return mismatch("同类型的整数、文字或是/否");
            }
            check_literals(&left, &right, b.span)?;
            check_literals(&right, &left, a.span)?;
            Type::Bool
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            if lt != Type::Int || rt != Type::Int {
                return mismatch("整数");
            }
            Type::Bool
        }
        BinOp::In | BinOp::NotIn => {
            if vocab::list_type(lt) != Some(rt) {
                return mismatch("值与同类型的列表");
            }
            check_literals(&left, &right, b.span)?;
            Type::Bool
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
            if lt != Type::Int || rt != Type::Int {
                return mismatch("整数");
            }
            if op == BinOp::Div && right == Node::Const(Value::Int(0)) {
                return err(b.span, "除数为0");
            }
            Type::Int
        }
    };
    Ok((Node::Binary(op, Box::new(left), Box::new(right)), ty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn scope() -> Scope<'static> {
        let mut s = Scope::default();
        s.params.insert("adult_age", (0, Type::Int));
        s.categories.insert("orphan", 0);
        s.functions.insert("parent_condition", (0, 1, Type::Bool));
        s
    }

    fn check(src: &str) -> Result<Type, CompileError> {
        compile(&parse(src).unwrap(), &scope()).map(|(_, t)| t)
    }

    #[test]
    fn well_typed_rules_compile() {
        for src in [
            "age < adult_age and father.dead and mother.dead",
            "father.disability_grade <= 2 or father.disability_category in ['mental', 'intellectual']",
            "parent_condition(father) and not category.orphan",
            "paid_within(child, 'orphan_allowance', 2)",
            "sex == 'female' and min(age, 3) + 1 > 2",
        ] {
            assert_eq!(check(src), Ok(Type::Bool), "{src}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("fathr.dead", "“fathr”不是人员"),
            ("father.ded", "未知属性“ded”"),
            ("adult_ag > 1", "未知名称“adult_ag”"),
            ("category.orphn", "未知类别“orphn”"),
            ("age and father.dead", "两边应为是/否条件"),
            (
                "father.disability_category == 'mentl'",
                "“mentl”不是可用的取值",
            ),
            ("paid_within(child, 'dibaoo', 2)", "“dibaoo”不是可用的取值"),
            ("paid_within(child, 'dibao')", "需要3个参数"),
            ("parent_condition(age)", "应为人员"),
            ("age in ['a']", "值与同类型的列表"),
            ("orphan", "category.orphan"),
            ("age / 0 > 1", "除数为0"),
            ("undefined_fn(father)", "未知函数"),
        ];
        for (src, want) in cases {
            let e = check(src).unwrap_err();
            assert!(e.message.contains(want), "{src}: {}", e.message);
        }
    }
}
