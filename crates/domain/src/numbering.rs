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

/// Whether a pattern makes distinct numbers for distinct sequence values.
pub fn is_valid_pattern(pattern: &str) -> bool {
    pattern.contains("{seq}") || pattern.contains("{seq:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_padded_and_plain_sequences() {
        assert_eq!(format_number("INV-{seq:05}", 42, 2026), "INV-00042");
        assert_eq!(format_number("{year}/{seq}", 7, 2026), "2026/7");
        assert_eq!(format_number("X{nope}{seq:3}", 1, 2026), "X{nope}001");
        assert!(is_valid_pattern("CN-{seq:05}"));
        assert!(!is_valid_pattern("CN-"));
    }
}
