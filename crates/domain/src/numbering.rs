//! Document numbers: a tenant's format applied to a gapless sequence value.

/// Formats `seq` with a pattern such as `INV-{seq:05}` (zero-padded to 5) or `{year}/{seq}`.
/// Unknown placeholders are kept as written, so a typo shows on the first number instead of
/// silently dropping text.
pub fn format_number(pattern: &str, seq: i64, year: i16) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &rest[start + 1..start + len];
        match token.split_once(':') {
            Some(("seq", width)) => match width.trim_start_matches('0').parse::<usize>() {
                Ok(w) => out.push_str(&format!("{seq:0w$}")),
                Err(_) => out.push_str(&seq.to_string()),
            },
            None if token == "seq" => out.push_str(&seq.to_string()),
            None if token == "year" => out.push_str(&year.to_string()),
            _ => out.push_str(&rest[start..=start + len]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// Longest number pattern accepted (numbers print on invoices and go to e-invoices).
pub const MAX_PATTERN_CHARS: usize = 40;

/// Why a number pattern is refused, or `Ok` when it makes one distinct, printable number per
/// sequence value: exactly one `{seq}` or `{seq:0N}` (N from 1 to 12), optionally `{year}`,
/// nothing else in braces, no control characters, at most [`MAX_PATTERN_CHARS`] characters.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!("must be at most {MAX_PATTERN_CHARS} characters"));
    }
    if pattern.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let mut seqs = 0;
    let mut rest = pattern;
    while let Some(start) = rest.find(['{', '}']) {
        if rest[start..].starts_with('}') {
            return Err("has a '}' without its '{'".into());
        }
        let Some(len) = rest[start..].find('}') else {
            return Err("has a '{' without its '}'".into());
        };
        let token = &rest[start + 1..start + len];
        match token.split_once(':') {
            None if token == "seq" => seqs += 1,
            None if token == "year" => {}
            Some(("seq", width))
                if width.starts_with('0')
                    && width[1..]
                        .parse::<usize>()
                        .is_ok_and(|w| (1..=12).contains(&w)) =>
            {
                seqs += 1
            }
            _ => {
                return Err(format!(
                    "{{{token}}} is not a placeholder: use {{seq}}, {{seq:05}} (width 1 to 12) or {{year}}"
                ));
            }
        }
        rest = &rest[start + len + 1..];
    }
    match seqs {
        1 => Ok(()),
        0 => Err("must contain {seq} or {seq:05}".into()),
        _ => Err("must contain {seq} only once".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_make_one_printable_number() {
        assert!(check_pattern("INV-{seq:05}").is_ok());
        assert!(check_pattern("{year}/{seq}").is_ok());
        assert!(check_pattern("INV-{seq:99}").is_err());
        assert!(check_pattern("INV-{seq:5}").is_err());
        assert!(check_pattern("INV").is_err());
        assert!(check_pattern("{seq}-{seq}").is_err());
        assert!(check_pattern("{sqe}-{seq}").is_err());
        assert!(check_pattern("INV-{seq").is_err());
        assert!(check_pattern("INV\u{0}{seq}").is_err());
        assert!(check_pattern(&format!("{}{{seq}}", "X".repeat(40))).is_err());
    }

    #[test]
    fn formats_padded_and_plain_sequences() {
        assert_eq!(format_number("INV-{seq:05}", 42, 2026), "INV-00042");
        assert_eq!(format_number("{year}/{seq}", 7, 2026), "2026/7");
        assert_eq!(format_number("X{nope}{seq:3}", 1, 2026), "X{nope}001");
        assert!(check_pattern("CN-{seq:05}").is_ok());
        assert!(check_pattern("CN-").is_err());
    }
}
