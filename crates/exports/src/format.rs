//! Numbers as the outputs state them. Never rounds an amount: stored amounts are already on
//! the currency's minor unit; these only pad the scale (`5` USD as `5.00`) and drop a "-0".

use rust_decimal::Decimal;
use unitbill_domain::money::Currency;

/// Decimals of a currency's minor unit; 2 for a code unitbill does not know.
pub fn minor_units(currency: &str) -> u32 {
    Currency::parse(currency).map_or(2, |c| c.minor_units())
}

fn padded(mut value: Decimal, scale: u32) -> Decimal {
    if value.scale() < scale {
        value.rescale(scale);
    }
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    value
}

/// An amount with exactly the currency's decimals: `1234.50`, `-80.00`, `1088` (JPY).
pub fn amount(value: Decimal, currency: &str) -> String {
    let scale = minor_units(currency);
    let mut v = padded(value, scale);
    if v.scale() > scale {
        // Stored amounts are on the minor unit; a longer scale only carries zeros.
        let normalized = v.normalize();
        if normalized.scale() <= scale {
            v = padded(normalized, scale);
        }
    }
    v.to_string()
}

/// A unit price: at least the currency's decimals, more when the price has them (`0.125`).
pub fn price(value: Decimal, currency: &str) -> String {
    padded(value.normalize(), minor_units(currency)).to_string()
}

/// A quantity without trailing zeros: `20`, `15.1613`, `-1`.
pub fn quantity(value: Decimal) -> String {
    padded(value.normalize(), 0).to_string()
}

/// An amount for people: thousands separated (`1,234.50`), the sign in front.
pub fn grouped_amount(value: Decimal, currency: &str) -> String {
    group(&amount(value, currency))
}

/// Thousands separators on the integer part of a plain decimal string.
pub(crate) fn group(plain: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_padded_to_the_minor_unit_and_never_rounded() {
        assert_eq!(amount(d("5"), "USD"), "5.00");
        assert_eq!(amount(d("-80.00"), "USD"), "-80.00");
        assert_eq!(amount(d("1088"), "JPY"), "1088");
        assert_eq!(amount(d("-0.00"), "USD"), "0.00");
        assert_eq!(amount(d("12.3400"), "USD"), "12.34");
        assert_eq!(grouped_amount(d("-1234567.5"), "USD"), "-1,234,567.50");
        assert_eq!(grouped_amount(d("123"), "JPY"), "123");
        assert_eq!(price(d("0.125"), "USD"), "0.125");
        assert_eq!(price(d("5.0000"), "USD"), "5.00");
        assert_eq!(quantity(d("20.0000")), "20");
        assert_eq!(quantity(d("15.1613")), "15.1613");
    }
}
