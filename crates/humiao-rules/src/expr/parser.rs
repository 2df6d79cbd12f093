//! Recursive-descent parser for the grammar in the module documentation.

use super::lexer::{tokens, Tok};
use super::{BinOp, Expr, ExprKind, Span, SyntaxError};

/// Parses one expression; the whole input must be consumed.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = tokens(src)?;
    let mut p = Parser { toks, pos: 0 };
    let expr = p.or()?;
    match p.peek() {
        Tok::End => Ok(expr),
        other => Err(SyntaxError {
            message: format!("表达式在“{}”处多余", describe(other)),
            span: p.span(),
        }),
    }
}

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(i) => i.to_string(),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Name(n) => n.clone(),
        Tok::Sym(s) => (*s).to_string(),
        Tok::End => "结尾".into(),
    }
}

fn binary(op: BinOp, a: Expr, b: Expr) -> Expr {
    let span = a.span.to(b.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
        span,
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.toks[(self.pos + ahead).min(self.toks.len() - 1)].0
    }

    fn span(&self) -> Span {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Name(x) if x == w)
    }

    fn expect_sym(&mut self, s: &'static str) -> Result<Span, SyntaxError> {
        if self.is_sym(s) {
            Ok(self.bump().1)
        } else {
            Err(SyntaxError {
                message: format!("此处应为“{s}”，却是“{}”", describe(self.peek())),
                span: self.span(),
            })
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.and()?;
        while self.is_word("or") || self.is_sym("||") {
            self.bump();
            let right = self.and()?;
            left = binary(BinOp::Or, left, right);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.not()?;
        while self.is_word("and") || self.is_sym("&&") {
            self.bump();
            let right = self.not()?;
            left = binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if (self.is_word("not") && !matches!(self.peek_at(1), Tok::Name(n) if n == "in"))
            || self.is_sym("!")
        {
            let start = self.bump().1;
            let inner = self.not()?;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                span,
            });
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Tok::Sym("==") => BinOp::Eq,
            Tok::Sym("!=") => BinOp::Ne,
            Tok::Sym("<") => BinOp::Lt,
            Tok::Sym("<=") => BinOp::Le,
            Tok::Sym(">") => BinOp::Gt,
            Tok::Sym(">=") => BinOp::Ge,
            Tok::Name(n) if n == "in" => BinOp::In,
            Tok::Name(n) if n == "not" && matches!(self.peek_at(1), Tok::Name(m) if m == "in") => {
                self.bump();
                BinOp::NotIn
            }
            _ => return Ok(left),
        };
        self.bump();
        let right = self.sum()?;
        Ok(binary(op, left, right))
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("+") => BinOp::Add,
                Tok::Sym("-") => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.term()?;
            left = binary(op, left, right);
        }
    }

    fn term(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("*") => BinOp::Mul,
                Tok::Sym("/") => BinOp::Div,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = binary(op, left, right);
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_sym("-") {
            let start = self.bump().1;
            let inner = self.unary()?;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(inner)),
                span,
            });
        }
        self.primary()
    }

    fn list(&mut self, close: &'static str) -> Result<(Vec<Expr>, Span), SyntaxError> {
        let mut items = Vec::new();
        if !self.is_sym(close) {
            loop {
                items.push(self.or()?);
                if self.is_sym(",") {
                    self.bump();
                    continue;
                }
                break;
            }
        }
        let end = self.expect_sym(close)?;
        Ok((items, end))
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let (tok, span) = self.bump();
        let kind = match tok {
            Tok::Int(i) => ExprKind::Int(i),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Name(n) if n == "true" => ExprKind::Bool(true),
            Tok::Name(n) if n == "false" => ExprKind::Bool(false),
            Tok::Name(n) if ["and", "or", "not", "in"].contains(&n.as_str()) => {
                return Err(SyntaxError {
                    message: format!("此处缺少条件或数值，却是关键字“{n}”"),
                    span,
                })
            }
            Tok::Name(n) => {
                if self.is_sym("(") {
                    self.bump();
                    let (args, end) = self.list(")")?;
                    return Ok(Expr {
                        kind: ExprKind::Call(n, args),
                        span: span.to(end),
                    });
                }
                let mut path = vec![n];
                let mut end = span;
                while self.is_sym(".") {
                    self.bump();
                    match self.bump() {
                        (Tok::Name(part), s) => {
                            path.push(part);
                            end = s;
                        }
                        (other, s) => {
                            return Err(SyntaxError {
                                message: format!("“.”之后应为名称，却是“{}”", describe(&other)),
                                span: s,
                            })
                        }
                    }
                }
                return Ok(Expr {
                    kind: ExprKind::Path(path),
                    span: span.to(end),
                });
            }
            Tok::Sym("(") => {
                let inner = self.or()?;
                let end = self.expect_sym(")")?;
                return Ok(Expr {
                    kind: inner.kind,
                    span: span.to(end),
                });
            }
            Tok::Sym("[") => {
                let (items, end) = self.list("]")?;
                return Ok(Expr {
                    kind: ExprKind::List(items),
                    span: span.to(end),
                });
            }
            other => {
                return Err(SyntaxError {
                    message: format!("此处缺少条件或数值，却是“{}”", describe(&other)),
                    span,
                })
            }
        };
        Ok(Expr { kind, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::Str(s) => format!("'{s}'"),
            ExprKind::List(items) => format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            ExprKind::Path(p) => p.join("."),
            ExprKind::Call(f, args) => format!(
                "{f}({})",
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            ExprKind::Not(e) => format!("(not {})", show(e)),
            ExprKind::Neg(e) => format!("(-{})", show(e)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
        }
    }

    #[test]
    fn precedence_and_forms() {
        let cases = [
            (
                "age < adult_age and father.dead or not mother.known",
                "(((age < adult_age) and father.dead) or (not mother.known))",
            ),
            ("a + b * 2 - 1 >= 3", "(((a + (b * 2)) - 1) >= 3)"),
            (
                "p.disability_category in ['mental', \"intellectual\"]",
                "(p.disability_category in ['mental', 'intellectual'])",
            ),
            ("x not in [1, 2]", "(x not in [1, 2])"),
            ("!(a || b) && c", "((not (a or b)) and c)"),
            ("paid_within('dibao', 2)", "paid_within('dibao', 2)"),
            ("-3 < 1_000", "((-3) < 1000)"),
            ("not not a", "(not (not a))"),
        ];
        for (src, want) in cases {
            assert_eq!(show(&parse(src).unwrap()), want, "{src}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases = [
            ("age < ", "此处缺少条件或数值", 7),
            ("father.", "“.”之后应为名称", 8),
            ("a and and b", "关键字“and”", 7),
            ("(a or b", "此处应为“)”", 8),
            ("a b", "多余", 3),
            ("name == '张三", "缺少结尾引号", 9),
            ("a # b", "无法识别的字符“#”", 3),
            ("父亲.死亡", "无法识别的字符“父”", 1),
        ];
        for (src, message, column) in cases {
            let e = parse(src).unwrap_err();
            assert!(e.message.contains(message), "{src}: {}", e.message);
            assert_eq!(e.span.column(src), column, "{src}");
        }
    }

    #[test]
    fn spans_cover_their_text() {
        let src = "age < 18 and father.dead";
        let e = parse(src).unwrap();
        let mut paths = Vec::new();
        e.walk(&mut |x| {
            if let ExprKind::Path(_) = x.kind {
                paths.push(&src[x.span.start..x.span.end]);
            }
        });
        assert_eq!(paths, vec!["age", "father.dead"]);
    }
}
