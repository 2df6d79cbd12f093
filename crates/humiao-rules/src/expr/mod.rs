//! The rule expression language: a small, side-effect-free language for conditions such as
//! `age < adult_age and father.dead and mother.dead`.
//!
//! Why a language of our own rather than an embedded scripting engine: a rule must be checked
//! against the vocabulary before a pack is activated (an unknown name is an error naming the file,
//! line and column), must evaluate with three-valued logic (an unknown fact is not "false") and
//! must say which facts decided it. Scripting engines give none of that without wrapping every
//! value; this grammar is about 400 lines and has no loops, so every rule terminates.
//!
//! Grammar (lowest precedence first):
//!
//! ```text
//! expr    := or
//! or      := and ( ("or" | "||") and )*
//! and     := not ( ("and" | "&&") not )*
//! not     := ("not" | "!") not | cmp
//! cmp     := sum ( ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") sum )?
//! sum     := term ( ("+" | "-") term )*
//! term    := unary ( ("*" | "/") unary )*
//! unary   := "-" unary | primary
//! primary := INT | STRING | "true" | "false" | "[" (expr ("," expr)*)? "]" | "(" expr ")"
//!          | NAME ("." NAME)* | NAME "(" (expr ("," expr)*)? ")"
//! ```

mod lexer;
mod parser;

pub use parser::parse;

/// A byte range in the expression's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// 1-based column of the span's start in `source` (counted in characters).
    pub fn column(self, source: &str) -> usize {
        source
            .get(..self.start)
            .map_or(1, |before| before.chars().count() + 1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Expr>),
    /// A dotted name: `age`, `father.dead`, `category.orphan`.
    Path(Vec<String>),
    Call(String, Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// Calls `f` on this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::List(items) | ExprKind::Call(_, items) => {
                items.iter().for_each(|e| e.walk(f))
            }
            ExprKind::Not(e) | ExprKind::Neg(e) => e.walk(f),
            ExprKind::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Path(_) => {}
        }
    }
}

/// A syntax error: what is wrong and where in the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}
