//! The text rule for what people and scripts type (DESIGN.md, "Ingestion": control characters
//! and text over its documented length are refused): at most [`MAX_TEXT_CHARS`] characters and
//! no control characters but those a field allows. One rule for API bodies, CSV cells, web
//! forms and sign-in, so they never drift apart.

/// Longest text accepted in any field (names, descriptions, references, cells).
pub const MAX_TEXT_CHARS: usize = 1000;

/// Tab and newline: what a JSON body's text may hold.
pub const TAB_AND_NEWLINE: &[char] = &['\t', '\n'];
/// Tab and line breaks as browsers send them (`\r\n`) from a text area.
pub const TAB_AND_LINE_BREAKS: &[char] = &['\t', '\n', '\r'];

/// Why `text` breaks the rule (none when it keeps it), control characters first; `allowed`
/// lists the control characters the field may hold.
pub fn problems(text: &str, allowed: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    if text
        .chars()
        .any(|c| c.is_control() && !allowed.contains(&c))
    {
        out.push("must not contain control characters".to_owned());
    }
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        out.push(format!("is {n} characters long; at most {MAX_TEXT_CHARS}"));
    }
    out
}

/// Whether `text` keeps the rule with no control characters at all.
pub fn is_plain(text: &str) -> bool {
    problems(text, &[]).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_length_are_refused_in_that_order() {
        assert!(problems("Acme, Inc.", &[]).is_empty());
        assert_eq!(
            problems("Ac\u{0}me", &[]),
            ["must not contain control characters"]
        );
        assert!(problems("a\tb\nc", TAB_AND_NEWLINE).is_empty());
        assert_eq!(problems("a\r\nb", TAB_AND_NEWLINE).len(), 1);
        assert!(problems("a\r\nb", TAB_AND_LINE_BREAKS).is_empty());
        let long = format!("\u{1b}{}", "x".repeat(1000));
        assert_eq!(
            problems(&long, &[]),
            [
                "must not contain control characters".to_owned(),
                "is 1001 characters long; at most 1000".to_owned()
            ]
        );
        assert!(is_plain(&"x".repeat(1000)) && !is_plain(&"x".repeat(1001)));
    }
}
