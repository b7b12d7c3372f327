//! Error collection for one file: turns byte spans from the TOML parser into
//! 1-based lines and columns and keeps every error, so that `mpwan check`
//! can print them all at once.

use std::ops::Range;
use std::path::Path;

use super::error::ConfigError;

/// The errors of one file, and what is needed to locate them.
pub(crate) struct Diag<'s> {
    pub(crate) path: &'s Path,
    text: &'s str,
    pub(crate) errors: Vec<ConfigError>,
    /// The file had TOML syntax errors, so its tree is only the parser's
    /// best recovery: "missing key" errors would mostly echo the syntax
    /// error, so they are not reported, and the file takes no part in
    /// cross-file checks.
    pub(crate) broken: bool,
    /// Lines holding a syntax error.
    syntax_lines: Vec<usize>,
    /// Byte offset of the start of every line after the first, built on
    /// the first lookup: every `[[bgp.announce]]` entry asks where its
    /// prefix is, and counting newlines from the start of the text each
    /// time made loading 100 000 entries quadratic.
    line_starts: std::cell::OnceCell<Vec<usize>>,
    /// Added to every span: a `[[bgp.announce]]` section parsed on its own
    /// has spans from its own start (see `sections.rs`).
    base: usize,
}

/// A resolved position, kept where a cross-file check may need it later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
    pub(crate) key: String,
}

impl<'s> Diag<'s> {
    pub(crate) fn new(path: &'s Path, text: &'s str) -> Diag<'s> {
        Diag {
            path,
            text,
            errors: Vec::new(),
            broken: false,
            syntax_lines: Vec::new(),
            line_starts: std::cell::OnceCell::new(),
            base: 0,
        }
    }

    /// Runs `f` with spans counted from byte `base` of the text.
    pub(crate) fn with_base<R>(&mut self, base: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let outer = std::mem::replace(&mut self.base, base);
        let r = f(self);
        self.base = outer;
        r
    }

    /// Line and column (both 1-based) of byte `offset`; offsets past the
    /// end are clamped to it.
    fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let starts = self.line_starts.get_or_init(|| {
            self.text
                .match_indices('\n')
                .map(|(i, _)| i.saturating_add(1))
                .collect()
        });
        // Lines starting at or before `offset`, besides the first.
        let earlier = starts.partition_point(|&start| start <= offset);
        let line_start = earlier
            .checked_sub(1)
            .and_then(|i| starts.get(i))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            .saturating_add(1);
        (earlier.saturating_add(1), column)
    }

    /// Where `span` starts in the text: spans count from `base`.
    fn offset(&self, span: &Range<usize>) -> usize {
        span.start.saturating_add(self.base)
    }

    /// The line `span` starts on.
    fn line_of(&self, span: &Range<usize>) -> usize {
        self.position(self.offset(span)).0
    }

    /// Where `span` starts, as a [`Loc`] for `key`. No span: the file as a whole.
    pub(crate) fn loc(&self, span: Option<&Range<usize>>, key: &str) -> Loc {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = self.position(self.offset(s));
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Loc {
            line,
            column,
            key: key.to_string(),
        }
    }

    /// Records an error at `span` (None: no position) about `key` (empty:
    /// none).
    pub(crate) fn error(&mut self, span: Option<&Range<usize>>, key: &str, message: String) {
        if self.broken
            && let Some(s) = span
            && (s.is_empty() || self.syntax_lines.contains(&self.line_of(s)))
        {
            // In a file with syntax errors, an empty span is a value the
            // parser made up while recovering, and a line with a syntax
            // error holds whatever it guessed: errors about either would
            // only echo the syntax error.
            return;
        }
        let loc = self.loc(span, key);
        self.error_at(&loc, message);
    }

    pub(crate) fn error_at(&mut self, loc: &Loc, message: String) {
        self.errors.push(make_error(self.path, loc, message));
    }

    /// The TOML parser's own errors. Call before walking the tree.
    pub(crate) fn syntax(&mut self, errors: &[toml::de::Error]) {
        for e in errors {
            let span = e.span();
            let loc = self.loc(span.as_ref(), "");
            self.syntax_lines.extend(loc.line);
            self.error_at(&loc, format!("TOML syntax: {}", e.message().trim_end()));
            self.broken = true;
        }
    }
}

/// Builds the public error; an empty key means "no key".
pub(crate) fn make_error(path: &Path, loc: &Loc, message: String) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        line: loc.line,
        column: loc.column,
        key: (!loc.key.is_empty()).then(|| loc.key.clone()),
        message,
    }
}
