//! Splits an expression into tokens.

use super::{Span, SyntaxError};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Int(i64),
    Str(String),
    Name(String),
    /// Operators and punctuation, e.g. `<=`, `(`, `.`.
    Sym(&'static str),
    End,
}

const SYMBOLS: [&str; 19] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "(", ")", "[", "]", ",",
    ".",
];

pub fn tokens(src: &str) -> Result<Vec<(Tok, Span)>, SyntaxError> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            let text: String = src[start..i].chars().filter(|&c| c != '_').collect();
            let value = text.parse::<i64>().map_err(|_| SyntaxError {
                message: format!("数字“{}”超出范围", &src[start..i]),
                span: Span { start, end: i },
            })?;
            out.push((Tok::Int(value), Span { start, end: i }));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Name(src[start..i].to_string()), Span { start, end: i }));
            continue;
        }
        if c == '\'' || c == '"' {
            i += 1;
            let mut text = String::new();
            loop {
                let Some(d) = src[i..].chars().next() else {
                    return Err(SyntaxError {
                        message: "字符串缺少结尾引号".into(),
                        span: Span { start, end: i },
                    });
                };
                i += d.len_utf8();
                if d == c {
                    break;
                }
                text.push(d);
            }
            out.push((Tok::Str(text), Span { start, end: i }));
            continue;
        }
        if let Some(sym) = SYMBOLS.iter().find(|s| src[i..].starts_with(**s)) {
            i += sym.len();
            out.push((Tok::Sym(sym), Span { start, end: i }));
            continue;
        }
        return Err(SyntaxError {
            message: format!("无法识别的字符“{c}”"),
            span: Span {
                start,
                end: start + c.len_utf8(),
            },
        });
    }
    out.push((
        Tok::End,
        Span {
            start: src.len(),
            end: src.len(),
        },
    ));
    Ok(out)
}
