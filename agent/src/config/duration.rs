//! Durations as operators write them: `"250ms"`, `"2s"`, `"1m"`, `"1h"`,
//! and compounds such as `"1m30s"`. Millisecond precision is all the agent
//! needs, so smaller units are refused rather than rounded.

use std::time::Duration;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was written.
    #[error("empty duration: write a number and a unit such as \"10s\"")]
    Empty,
    /// A sign in front: durations cannot be negative.
    #[error("a duration cannot be negative")]
    Negative,
    /// A bare number such as "10" or "0": the unit is not guessed.
    #[error("missing unit: write \"{0}s\" or \"{0}ms\" (units: ms, s, m, h)")]
    MissingUnit(String),
    /// A decimal point: fractions are not accepted.
    #[error("fractions are not accepted: write \"1500ms\" instead of \"1.5s\"")]
    Fraction,
    /// A unit other than ms, s, m, h.
    #[error("unknown unit \"{0}\" (units: ms, s, m, h)")]
    UnknownUnit(String),
    /// Something that is neither a digit nor a unit, such as a space.
    #[error("unexpected \"{0}\": write digits directly followed by a unit, such as \"1m30s\"")]
    Unexpected(String),
    /// "30s1m" or "1s1s": each unit once, largest first.
    #[error("units must go from the largest to the smallest, each at most once (\"1m30s\")")]
    UnitOrder,
    /// More than the agent can represent.
    #[error("too large")]
    Overflow,
}

/// Milliseconds per unit, largest first: the order compounds must follow.
const UNITS: [(&str, u64); 4] = [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];

/// Parses `"250ms"`, `"2s"`, `"1m"`, `"1h"` or a compound like `"1h2m3s"`.
/// `"0s"` is a valid zero; whether zero makes sense is the caller's check.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.starts_with('-') {
        return Err(DurationError::Negative);
    }
    let mut rest = text;
    let mut total: u64 = 0;
    // Index into UNITS of the last unit used; the next must come after it.
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, after) = rest.split_at(digits_end);
        if digits.is_empty() {
            let bad: String = after.chars().take(1).collect();
            return Err(DurationError::Unexpected(bad));
        }
        if after.starts_with('.') {
            return Err(DurationError::Fraction);
        }
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        if unit.is_empty() {
            if after.is_empty() {
                return Err(DurationError::MissingUnit(digits.to_string()));
            }
            let bad: String = after.chars().take(1).collect();
            return Err(DurationError::Unexpected(bad));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit(unit.to_string()));
        };
        if last_unit.is_some_and(|last| index <= last) {
            return Err(DurationError::UnitOrder);
        }
        last_unit = Some(index);
        let number: u64 = digits.parse().map_err(|_| DurationError::Overflow)?;
        let ms = number
            .checked_mul(UNITS[index].1)
            .ok_or(DurationError::Overflow)?;
        total = total.checked_add(ms).ok_or(DurationError::Overflow)?;
        rest = next;
    }
    Ok(Duration::from_millis(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Result<Duration, DurationError> {
        Ok(Duration::from_millis(n))
    }

    #[test]
    fn accepts_every_unit_and_compounds() {
        assert_eq!(parse_duration("250ms"), ms(250));
        assert_eq!(parse_duration("2s"), ms(2000));
        assert_eq!(parse_duration("1m"), ms(60_000));
        assert_eq!(parse_duration("1h"), ms(3_600_000));
        assert_eq!(parse_duration("1m30s"), ms(90_000));
        assert_eq!(parse_duration("1h2m3s4ms"), ms(3_723_004));
        assert_eq!(parse_duration("0s"), ms(0));
        assert_eq!(parse_duration("1000ms"), ms(1000));
    }

    #[test]
    fn refuses_what_is_ambiguous_or_wrong() {
        use DurationError::*;
        assert_eq!(parse_duration(""), Err(Empty));
        assert_eq!(parse_duration("10"), Err(MissingUnit("10".into())));
        assert_eq!(parse_duration("0"), Err(MissingUnit("0".into())));
        assert_eq!(parse_duration("-1s"), Err(Negative));
        assert_eq!(parse_duration("1.5s"), Err(Fraction));
        assert_eq!(parse_duration("5 parsecs"), Err(Unexpected(" ".into())));
        assert_eq!(
            parse_duration("5parsecs"),
            Err(UnknownUnit("parsecs".into()))
        );
        assert_eq!(parse_duration("5us"), Err(UnknownUnit("us".into())));
        assert_eq!(parse_duration("s"), Err(Unexpected("s".into())));
        assert_eq!(parse_duration("30s1m"), Err(UnitOrder));
        assert_eq!(parse_duration("1s1s"), Err(UnitOrder));
        assert_eq!(parse_duration("1s "), Err(Unexpected(" ".into())));
        assert_eq!(parse_duration("1m30"), Err(MissingUnit("30".into())));
    }

    #[test]
    fn refuses_overflow_instead_of_wrapping() {
        assert_eq!(
            parse_duration("99999999999999999999ms"),
            Err(DurationError::Overflow)
        );
        assert_eq!(
            parse_duration("18446744073709551615h"),
            Err(DurationError::Overflow)
        );
        let near_max = format!("{}ms1ms", u64::MAX);
        // "…ms1ms" repeats a unit; the order check fires before the sum.
        assert_eq!(parse_duration(&near_max), Err(DurationError::UnitOrder));
        let sum = format!("1s{}ms", u64::MAX);
        assert_eq!(parse_duration(&sum), Err(DurationError::Overflow));
    }
}
