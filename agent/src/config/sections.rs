//! Finds the `[[bgp.announce]]` sections of `mpwan.toml`, so that each can
//! be parsed and read on its own.
//!
//! Why: toml's spanned parser holds the whole document three times over
//! (a token vector, an event vector, then a tree with a map per table). A
//! router announcing 100 000 prefixes has a 5.7 MB file of 100 000 small
//! tables, and parsing it whole peaked at 213 MB, more than the BGP
//! speaker itself ever needs. Parsed a section at a time, and each read into
//! the model before the next, the peak is one section's tree.
//!
//! The sections are found with toml's own lexer (`toml_parser`), so strings,
//! comments and multi-line arrays are told apart from headers exactly as
//! the parser does. Whatever the split could read differently from the
//! whole parse makes [`split`] give up (None), and the caller then parses
//! the whole text as before: a `bgp.announce` sub-table away from its entry,
//! a header key it cannot decode, a header it cannot follow.

use std::ops::Range;

use toml_parser::lexer::{Token, TokenKind};
use toml_parser::{ParseError, Source};

/// The file cut in two.
pub(crate) struct Split {
    /// The text with every section blanked (its bytes made spaces, its last
    /// newline kept): every byte offset in it is the original's, so errors
    /// are located on the original text.
    pub(crate) rest: String,
    /// Byte ranges of the sections, in file order. Each starts at the line
    /// of its `[[bgp.announce]]` header and ends where the next header's
    /// line starts, its `[bgp.announce.…]` sub-tables included.
    pub(crate) sections: Vec<Range<usize>>,
}

/// A table header: `[a.b]` or `[[a.b]]`.
struct Header {
    /// Offset of the start of the header's line.
    line_start: usize,
    array: bool,
    key: Vec<String>,
}

/// Splits `text`; None when it holds no `[[bgp.announce]]` header or no
/// `[bgp]` header, or when the split might not mean what the whole text
/// means.
pub(crate) fn split(text: &str) -> Option<Split> {
    let mut sections: Vec<Range<usize>> = Vec::new();
    // Start of the section being collected.
    let mut open: Option<usize> = None;
    // `[bgp]` itself, as a header: the split puts its keys in the rest,
    // which an inline `bgp = { ... }` or dotted `bgp.asn = ...` at the top
    // level would not allow (toml refuses to extend those with sections).
    let mut bgp_header = false;
    for header in headers(text)? {
        bgp_header |= !header.array && header.key == ["bgp"];
        let within = header.key.len() > 2 && is_announce(&header.key[..2]);
        if is_announce(&header.key) {
            if !header.array {
                // `[bgp.announce]`: not ours to interpret (the reader says
                // it must be an array of tables).
                return None;
            }
            if let Some(start) = open.replace(header.line_start) {
                sections.push(start..header.line_start);
            }
        } else if within {
            // A sub-table of the last entry: fine right after it, but if
            // another table came in between it would land in the rest.
            open?;
        } else if let Some(start) = open.take() {
            sections.push(start..header.line_start);
        }
    }
    if let Some(start) = open {
        sections.push(start..text.len());
    }
    if sections.is_empty() || !bgp_header {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for r in &sections {
        let blank = bytes.get_mut(r.clone())?;
        let keep_newline = blank.last() == Some(&b'\n');
        blank.fill(b' ');
        if keep_newline && let Some(last) = blank.last_mut() {
            *last = b'\n';
        }
    }
    // Only whole lines of ASCII were replaced, by ASCII.
    let rest = String::from_utf8(bytes).ok()?;
    Some(Split { rest, sections })
}

fn is_announce(key: &[String]) -> bool {
    matches!(key, [a, b] if a == "bgp" && b == "announce")
}

/// Every table header of `text`, in order; None when one cannot be read.
fn headers(text: &str) -> Option<Vec<Header>> {
    let source = Source::new(text);
    let mut tokens = source.lex().peekable();
    let mut out = Vec::new();
    // Open `[` and `{` of values: a header only starts outside any.
    let mut depth: usize = 0;
    let mut line_start = 0;
    // Nothing but whitespace since the line started.
    let mut fresh_line = true;
    while let Some(t) = tokens.next() {
        match t.kind() {
            TokenKind::Newline => {
                line_start = t.span().end();
                fresh_line = true;
            }
            TokenKind::Whitespace | TokenKind::Comment => {}
            TokenKind::LeftSquareBracket if fresh_line && depth == 0 => {
                let array = tokens
                    .next_if(|n| n.kind() == TokenKind::LeftSquareBracket)
                    .is_some();
                let key = header_key(&source, &mut tokens, array)?;
                out.push(Header {
                    line_start,
                    array,
                    key,
                });
                fresh_line = false;
            }
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => {
                depth = depth.saturating_add(1);
                fresh_line = false;
            }
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                // A stray closer in a broken file: no split can be trusted.
                depth = depth.checked_sub(1)?;
                fresh_line = false;
            }
            TokenKind::Eof => break,
            _ => fresh_line = false,
        }
    }
    // An array left open swallowed the rest of the file.
    (depth == 0).then_some(out)
}

/// The dotted key of a header whose `[` (or `[[`) was just read, up to and
/// including its closing bracket(s).
fn header_key(
    source: &Source<'_>,
    tokens: &mut std::iter::Peekable<toml_parser::lexer::Lexer<'_>>,
    array: bool,
) -> Option<Vec<String>> {
    let mut key = Vec::new();
    // A part is expected (at the start and after a dot).
    let mut want_part = true;
    loop {
        let t = tokens.next()?;
        match t.kind() {
            TokenKind::Whitespace => {}
            TokenKind::Dot if !want_part => want_part = true,
            TokenKind::RightSquareBracket if !want_part => {
                if array {
                    let close = tokens.next()?;
                    if close.kind() != TokenKind::RightSquareBracket {
                        return None;
                    }
                }
                return Some(key);
            }
            TokenKind::Atom | TokenKind::BasicString | TokenKind::LiteralString if want_part => {
                key.push(key_part(source, &t)?);
                want_part = false;
            }
            _ => return None,
        }
    }
}

/// One part of a dotted key, decoded as toml does (bare, 'literal' or
/// "basic" with its escapes); None when toml would refuse it.
fn key_part(source: &Source<'_>, t: &Token) -> Option<String> {
    let mut part = String::new();
    let mut error: Option<ParseError> = None;
    source.get(t)?.decode_key(&mut part, &mut error);
    error.is_none().then_some(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(text: &str) -> Option<Vec<&str>> {
        let s = split(text)?;
        assert_eq!(s.rest.len(), text.len());
        Some(s.sections.iter().map(|r| &text[r.clone()]).collect())
    }

    #[test]
    fn finds_each_entry_with_its_sub_tables() {
        let text = "[bgp]\nasn = 1\n\n[[bgp.announce]]\nprefix = \"a\"\n\
                    [bgp.announce.degrade]\nmed = 1\n  [[ bgp . \"announce\" ]] # x\n\
                    prefix = 'b'\n[agent]\nstate_dir = \"/run\"\n[['bgp'.announce]]\nprefix = \"c\"";
        let s = split(text).unwrap();
        let parts: Vec<&str> = s.sections.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            parts,
            [
                "[[bgp.announce]]\nprefix = \"a\"\n[bgp.announce.degrade]\nmed = 1\n",
                "  [[ bgp . \"announce\" ]] # x\nprefix = 'b'\n",
                "[['bgp'.announce]]\nprefix = \"c\"",
            ]
        );
        let rest: Vec<&str> = s.rest.lines().map(str::trim).collect();
        assert_eq!(
            rest,
            [
                "[bgp]",
                "asn = 1",
                "",
                "",
                "",
                "[agent]",
                "state_dir = \"/run\"",
                ""
            ]
        );
    }

    #[test]
    fn header_keys_are_decoded_as_toml_does() {
        let text = "[\"b\\u0067p\"]\nasn = 1\n[[\"b\\u0067p\".'announce']]\nprefix = \"a\"\n";
        assert_eq!(
            sections(text).unwrap(),
            ["[[\"b\\u0067p\".'announce']]\nprefix = \"a\"\n"]
        );
    }

    #[test]
    fn headers_inside_strings_and_arrays_are_not_headers() {
        let text = "[bgp]\nx = \"\"\"\n[[bgp.announce]]\n\"\"\"\ny = [\n[[1]],\n]\n\
                    [[bgp.announce]]\nprefix = \"a\"\nz = [\n [2] ]\n[agent]\n";
        assert_eq!(
            sections(text).unwrap(),
            ["[[bgp.announce]]\nprefix = \"a\"\nz = [\n [2] ]\n"]
        );
    }

    #[test]
    fn gives_up_where_the_split_could_change_the_meaning() {
        // No entries at all.
        assert!(sections("[bgp]\nasn = 1\n").is_none());
        // [bgp] not given as a header of its own.
        assert!(sections("bgp = { asn = 1 }\n[[bgp.announce]]\n").is_none());
        assert!(sections("bgp.asn = 1\n[[bgp.announce]]\n").is_none());
        assert!(sections("[[bgp.announce]]\n").is_none());
        // A sub-table of the last entry after another table.
        assert!(sections("[bgp]\n[[bgp.announce]]\n[agent]\n[bgp.announce.degrade]\n").is_none());
        // A sub-table with no entry before it.
        assert!(sections("[bgp]\n[bgp.announce.degrade]\n[[bgp.announce]]\n").is_none());
        // A plain table where entries are.
        assert!(sections("[bgp]\n[bgp.announce]\n[[bgp.announce]]\n").is_none());
        // A plain table where entries are, its key spelt with an escape.
        assert!(sections("[bgp]\n[\"b\\u0067p\".announce]\n[[bgp.announce]]\n").is_none());
        // Keys toml refuses, broken headers, an array never closed.
        assert!(sections("[bgp]\n[[\"b\\qp\".announce]]\n").is_none());
        assert!(sections("[bgp]\n[[bgp.ann+ounce]]\n").is_none());
        assert!(sections("[bgp]\n[[bgp.announce]\n").is_none());
        assert!(sections("[bgp]\n[[bgp.announce]]\nx = [1,\n").is_none());
        assert!(sections("[bgp]\nx = 1]\n[[bgp.announce]]\n").is_none());
    }
}
