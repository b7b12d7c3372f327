//! A cursor over one TOML table that reads typed values and remembers which
//! keys it was asked for, so that whatever is left over is reported as an
//! unknown key (with a "did you mean" when one is close).
//!
//! Why by hand rather than `#[derive(Deserialize)]` with
//! `deny_unknown_fields`: serde stops at the first error, and `mpwan check`
//! must report every error of every file at once, each with its line,
//! column and dotted key. Walking the spanned tree from
//! `toml::de::DeTable::parse_recoverable` gives all of that.

use std::ops::Range;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use super::diag::{Diag, Loc};
use super::duration::parse_duration;

/// One value with where it is and what it is called.
#[derive(Clone)]
pub(crate) struct Item<'t, 'i> {
    pub(crate) value: &'t DeValue<'i>,
    pub(crate) span: Range<usize>,
    /// Dotted key, e.g. `probe[1].targets[0]`.
    pub(crate) path: String,
}

impl<'t, 'i> Item<'t, 'i> {
    /// Records `message` about this value.
    pub(crate) fn error(&self, d: &mut Diag<'_>, message: String) {
        d.error(Some(&self.span), &self.path, message);
    }

    pub(crate) fn loc(&self, d: &Diag<'_>) -> Loc {
        d.loc(Some(&self.span), &self.path)
    }

    fn wrong_type(&self, d: &mut Diag<'_>, expected: &str, hint: &str) {
        let found = describe(self.value);
        self.error(d, format!("expected {expected}, found {found}{hint}"));
    }

    pub(crate) fn str(&self, d: &mut Diag<'_>) -> Option<&'t str> {
        match self.value {
            DeValue::String(s) => Some(s.as_ref()),
            _ => {
                self.wrong_type(d, "a string", "");
                None
            }
        }
    }

    pub(crate) fn bool(&self, d: &mut Diag<'_>) -> Option<bool> {
        match self.value {
            DeValue::Boolean(b) => Some(*b),
            DeValue::String(s) if matches!(s.as_ref(), "true" | "false") => {
                self.wrong_type(d, "a boolean", &format!(" (write {s} without quotes)"));
                None
            }
            _ => {
                self.wrong_type(d, "a boolean (true or false)", "");
                None
            }
        }
    }

    /// An integer in `min..=max`, converted to the field's type.
    pub(crate) fn int<T>(&self, d: &mut Diag<'_>, min: T, max: T) -> Option<T>
    where
        T: Copy + Into<i128> + TryFrom<i128>,
    {
        let value = match self.value {
            DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
                Ok(v) => v,
                Err(_) => {
                    self.error(d, format!("integer {i} is out of range"));
                    return None;
                }
            },
            DeValue::String(s) if s.trim().parse::<i128>().is_ok() => {
                let hint = format!(" (write {} without quotes)", s.trim());
                self.wrong_type(d, "an integer", &hint);
                return None;
            }
            _ => {
                self.wrong_type(d, "an integer", "");
                return None;
            }
        };
        let (min, max) = (min.into(), max.into());
        if value < min {
            self.error(d, format!("must be at least {min} (got {value})"));
            return None;
        }
        if value > max {
            self.error(d, format!("must be at most {max} (got {value})"));
            return None;
        }
        T::try_from(value).ok()
    }

    pub(crate) fn duration(&self, d: &mut Diag<'_>) -> Option<Duration> {
        match self.value {
            DeValue::String(s) => match parse_duration(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.error(d, format!("invalid duration \"{s}\": {e}"));
                    None
                }
            },
            DeValue::Integer(i) => {
                let n = i.as_str();
                self.error(
                    d,
                    format!(
                        "durations are strings with a unit: write \"{n}s\" or \"{n}ms\" \
                         (quoted), not {n}"
                    ),
                );
                None
            }
            _ => {
                self.wrong_type(d, "a duration string such as \"10s\"", "");
                None
            }
        }
    }

    /// One of `choices`, with a suggestion when the value is close to one.
    pub(crate) fn choice<T: Copy>(&self, d: &mut Diag<'_>, choices: &[(&str, T)]) -> Option<T> {
        let s = self.str(d)?;
        if let Some((_, v)) = choices.iter().find(|(name, _)| *name == s) {
            return Some(*v);
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let list = quoted_list(&names);
        let message = match closest(s, &names) {
            Some(near) => {
                format!("unknown value \"{s}\": did you mean \"{near}\"? (one of {list})")
            }
            None => format!("unknown value \"{s}\" (one of {list})"),
        };
        self.error(d, message);
        None
    }

    /// The elements of an array, each with its own path.
    pub(crate) fn array(&self, d: &mut Diag<'_>) -> Option<Vec<Item<'t, 'i>>> {
        match self.value {
            DeValue::Array(a) => Some(
                a.iter()
                    .enumerate()
                    .map(|(n, v)| Item {
                        value: v.get_ref(),
                        span: v.span(),
                        path: format!("{}[{n}]", self.path),
                    })
                    .collect(),
            ),
            _ => {
                self.wrong_type(d, "an array", "");
                None
            }
        }
    }

    pub(crate) fn table(&self, d: &mut Diag<'_>) -> Option<Table<'t, 'i>> {
        match self.value {
            DeValue::Table(t) => Some(Table {
                table: t,
                path: self.path.clone(),
                span: Some(self.span.clone()),
                known: Vec::new(),
            }),
            _ => {
                self.wrong_type(d, "a table", "");
                None
            }
        }
    }

    /// An array of tables (`[[name]]`), each a cursor of its own.
    /// None (with the error recorded) when the value is not an array.
    pub(crate) fn tables(&self, d: &mut Diag<'_>) -> Option<Vec<Table<'t, 'i>>> {
        if matches!(self.value, DeValue::Table(_)) {
            let message = format!(
                "expected an array of tables: write [[{}]] (double brackets), one per entry",
                self.path
            );
            self.error(d, message);
            return None;
        }
        let items = self.array(d)?;
        Some(items.iter().filter_map(|item| item.table(d)).collect())
    }
}

/// A table being read. Call [`Table::finish`] when done to report the keys
/// nobody asked for.
pub(crate) struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    path: String,
    /// The header (`[tracker]`) or inline table; None for a file's root.
    span: Option<Range<usize>>,
    /// Every key asked for, present or not: the valid keys of this table.
    known: Vec<&'static str>,
}

impl<'t, 'i> Table<'t, 'i> {
    pub(crate) fn root(table: &'t DeTable<'i>) -> Table<'t, 'i> {
        Table {
            table,
            path: String::new(),
            span: None,
            known: Vec::new(),
        }
    }

    /// The dotted path of `key` in this table.
    pub(crate) fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key`, if present; `key` becomes a known key either way.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<Item<'t, 'i>> {
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        let value = self.table.get(key)?;
        Some(Item {
            value: value.get_ref(),
            span: value.span(),
            path: self.child(key),
        })
    }

    /// Like [`Table::get`], and reports the key when it is absent.
    pub(crate) fn required(&mut self, d: &mut Diag<'_>, key: &'static str) -> Option<Item<'t, 'i>> {
        let item = self.get(key);
        if item.is_none() && !d.broken {
            let message = match self.span {
                Some(_) => format!("missing required key `{key}` in [{}]", self.path),
                None => format!("missing required key `{key}`"),
            };
            d.error(self.span.as_ref(), &self.child(key), message);
        }
        item
    }

    pub(crate) fn bool(&mut self, d: &mut Diag<'_>, key: &'static str) -> Option<bool> {
        self.get(key)?.bool(d)
    }

    pub(crate) fn int<T>(
        &mut self,
        d: &mut Diag<'_>,
        key: &'static str,
        min: T,
        max: T,
    ) -> Option<T>
    where
        T: Copy + Into<i128> + TryFrom<i128>,
    {
        self.get(key)?.int(d, min, max)
    }

    pub(crate) fn table(&mut self, d: &mut Diag<'_>, key: &'static str) -> Option<Table<'t, 'i>> {
        self.get(key)?.table(d)
    }

    /// Reports every key that was never asked for. `elsewhere` names keys
    /// that belong in another table, with the hint to give for them.
    pub(crate) fn finish(self, d: &mut Diag<'_>, elsewhere: &[(&[&str], &str)]) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if self.known.contains(&name) {
                continue;
            }
            let place = if self.path.is_empty() {
                "at the top level".to_string()
            } else if self.path.contains('[') {
                format!("in {}", self.path)
            } else {
                format!("in [{}]", self.path)
            };
            let hint = if let Some((_, h)) = elsewhere.iter().find(|(keys, _)| keys.contains(&name))
            {
                format!("; {h}")
            } else if let Some(near) = closest(name, &self.known) {
                format!("; did you mean `{near}`?")
            } else if self.known.is_empty() {
                String::new()
            } else {
                let mut keys = self.known.clone();
                keys.sort_unstable();
                format!(" (known keys: {})", keys.join(", "))
            };
            d.error(
                Some(&key.span()),
                &self.child(name),
                format!("unknown key `{name}` {place}{hint}"),
            );
        }
    }
}

/// "a string (\"x\")" and so on, for type errors.
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("a string (\"{s}\")"),
        DeValue::Integer(i) => format!("an integer ({i})"),
        DeValue::Float(f) => format!("a float ({f})"),
        DeValue::Boolean(b) => format!("a boolean ({b})"),
        DeValue::Datetime(t) => format!("a date-time ({t})"),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// `"a", "b", "c"`.
pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate closest to `word`, if it is close enough to be a typo:
/// one edit for short words, two for longer ones.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), c), *c))
        .filter(|(dist, _)| *dist <= limit)
        .min_by_key(|(dist, _)| *dist)
        .map(|(_, c)| c)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = Vec::with_capacity(b.len().saturating_add(1));
        row.push(i.saturating_add(1));
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j].saturating_add(usize::from(ca != *cb));
            let delete = prev[j.saturating_add(1)].saturating_add(1);
            let insert = row[j].saturating_add(1);
            row.push(substitute.min(delete).min(insert));
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_words() {
        let keys = ["interval", "timeout", "down", "up", "hold_down"];
        assert_eq!(closest("intervall", &keys), Some("interval"));
        assert_eq!(closest("timout", &keys), Some("timeout"));
        assert_eq!(closest("dwn", &keys), Some("down"));
        assert_eq!(closest("hold-down", &keys), Some("hold_down"));
        assert_eq!(closest("Interval", &keys), Some("interval"));
        assert_eq!(closest("colour", &keys), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
