//! Money: currencies, rounding and the amount of an invoice line.
//!
//! Every amount in unitbill is an exact [`Decimal`], never a float. DESIGN.md fixes two
//! roundings, both half away from zero and each applied exactly once: a line's quantity to
//! 4 decimals, and its amount (quantity × unit price) to the minor unit of the currency
//! (ISO 4217). That is what lets every line satisfy `amount = quantity × unit price`, as
//! accounting imports and e-invoicing validators check.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decimals a line quantity keeps (DESIGN.md, Money).
pub const QUANTITY_DECIMALS: u32 = 4;

/// Largest magnitude [`parse_amount`] accepts: a price or amount of one trillion or more is a
/// typo, and the bound keeps `quantity × unit price` far from `Decimal`'s limits.
pub const MAX_AMOUNT_INTEGER_DIGITS: usize = 12;

/// Most decimals [`parse_amount`] accepts: enough for per-GB prices such as `0.000125`, few
/// enough that a line's product stays exact before its single rounding.
pub const MAX_AMOUNT_DECIMALS: usize = 10;

/// Why a currency code or an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not an ISO 4217 alphabetic code unitbill invoices in.
    #[error(
        "unknown currency {0:?}: expected an uppercase ISO 4217 alphabetic code such as USD, EUR or JPY"
    )]
    UnknownCurrency(String),
    /// A money amount with more decimals than its currency's minor unit.
    #[error("amount {input:?} has more decimals than {currency} has ({minor_units})")]
    FinerThanMinorUnit {
        /// The text as received.
        input: String,
        /// The currency's code.
        currency: String,
        /// Its minor units (2 for USD, 0 for JPY).
        minor_units: u32,
    },
    /// The text is not a plain decimal number.
    #[error("invalid amount {input:?}: {reason}")]
    InvalidAmount {
        /// The text as received.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The number is well formed but outside what unitbill bills.
    #[error(
        "amount {input:?} is out of range: at most {MAX_AMOUNT_INTEGER_DIGITS} digits before \
         the decimal point and {MAX_AMOUNT_DECIMALS} after it"
    )]
    AmountOutOfRange {
        /// The text as received.
        input: String,
    },
}

/// The currency of a company, a contract and every document issued to it.
///
/// Only the code and the number of minor units matter to billing: the minor units decide
/// where every line amount and tax is rounded. Serialized as the ISO code (`"USD"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

/// ISO 4217 currencies in circulation (fund and precious-metal codes left out: nobody is
/// invoiced in them), with their minor units.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    /// US dollar, the default currency of a new tenant.
    pub const USD: Currency = Currency {
        code: "USD",
        minor_units: 2,
    };
    /// Euro.
    pub const EUR: Currency = Currency {
        code: "EUR",
        minor_units: 2,
    };
    /// Pound sterling.
    pub const GBP: Currency = Currency {
        code: "GBP",
        minor_units: 2,
    };
    /// Japanese yen: no minor unit, so amounts are whole yen.
    pub const JPY: Currency = Currency {
        code: "JPY",
        minor_units: 0,
    };

    /// Reads a currency code as stored on a company or received from the API.
    ///
    /// Strict on purpose: only uppercase ISO 4217 codes, so one currency has one spelling in
    /// the database and on every document.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        CURRENCIES
            .binary_search_by(|(c, _)| (*c).cmp(code))
            .map(|i| Currency {
                code: CURRENCIES[i].0,
                minor_units: CURRENCIES[i].1,
            })
            .map_err(|_| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// Every currency unitbill accepts, in code order (for pickers and validation messages).
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|&(code, minor_units)| Currency { code, minor_units })
    }

    /// The ISO 4217 alphabetic code, as printed on documents and exports.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Decimals of the currency's minor unit (2 for cents, 0 for yen, 3 for fils).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }

    /// Rounds an amount to the minor unit, half away from zero, with exactly that many
    /// decimals (`12.5` USD becomes `12.50`), as every document amount is stated.
    ///
    /// Symmetric around zero, so a credit note's amounts are exactly the negated invoice's;
    /// a zero result never carries a minus sign.
    pub fn round(&self, amount: Decimal) -> Decimal {
        round_to(amount, self.minor_units)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Rounds half away from zero to `decimals`, padding to exactly that scale and dropping
/// the sign of a zero.
fn round_to(value: Decimal, decimals: u32) -> Decimal {
    let mut rounded =
        value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(decimals);
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded
}

/// Rounds a line quantity to 4 decimals, half away from zero: the quantity printed on the
/// line and the one its amount is computed from.
pub fn round_quantity(q: Decimal) -> Decimal {
    round_to(q, QUANTITY_DECIMALS)
}

/// The amount of a line: quantity × unit price rounded once to the currency's minor unit.
///
/// `quantity` must already be rounded with [`round_quantity`], so that the printed quantity
/// times the printed unit price gives the printed amount.
pub fn line_amount(quantity: Decimal, unit_price: Decimal, currency: Currency) -> Decimal {
    currency.round(quantity * unit_price)
}

/// Reads an amount of money in `currency` (a payment, a credit): at most the currency's
/// minor unit of decimals, so "10.001" USD is refused rather than stored as given.
pub fn parse_money(s: &str, currency: &Currency) -> Result<Decimal, MoneyError> {
    let amount = parse_amount(s)?;
    if amount.normalize().scale() > currency.minor_units() {
        return Err(MoneyError::FinerThanMinorUnit {
            input: s.to_owned(),
            currency: currency.to_string(),
            minor_units: currency.minor_units(),
        });
    }
    Ok(amount)
}

/// Parses a price or amount received from the API or a form.
///
/// Accepts only the plain decimal notation `-?digits(.digits)?` (no exponent, no `+`, no
/// thousands separators, no surrounding spaces, no leading zeros as in `007`), with at
/// most [`MAX_AMOUNT_INTEGER_DIGITS`] integer digits and [`MAX_AMOUNT_DECIMALS`] decimals.
/// The value keeps the scale it was written with (`"10.50"` stays `10.50`).
pub fn parse_amount(s: &str) -> Result<Decimal, MoneyError> {
    let invalid = |reason| MoneyError::InvalidAmount {
        input: s.to_owned(),
        reason,
    };
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    if integer.is_empty() {
        return Err(invalid("expected digits before the decimal point"));
    }
    if !integer.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "expected a plain decimal number such as 12.50 (digits, an optional leading '-' and '.')",
        ));
    }
    if integer.len() > 1 && integer.starts_with('0') {
        return Err(invalid("leading zeros are not allowed"));
    }
    if let Some(fraction) = fraction {
        if fraction.is_empty() {
            return Err(invalid("expected digits after the decimal point"));
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "expected a plain decimal number such as 12.50 (digits, an optional leading '-' and '.')",
            ));
        }
    }
    if integer.len() > MAX_AMOUNT_INTEGER_DIGITS
        || fraction.is_some_and(|f| f.len() > MAX_AMOUNT_DECIMALS)
    {
        return Err(MoneyError::AmountOutOfRange {
            input: s.to_owned(),
        });
    }
    let mut value = Decimal::from_str_exact(s).map_err(|_| invalid("not a decimal number"))?;
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_refused_finer_than_its_minor_unit() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_money("10.00", &usd).unwrap().to_string(), "10.00");
        assert_eq!(parse_money("10.100", &usd).unwrap().to_string(), "10.100");
        assert!(matches!(
            parse_money("10.001", &usd),
            Err(MoneyError::FinerThanMinorUnit { .. })
        ));
        assert!(parse_money("1200", &jpy).is_ok());
        assert!(matches!(
            parse_money("1200.5", &jpy),
            Err(MoneyError::FinerThanMinorUnit { .. })
        ));
    }
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn required_currencies_have_their_iso_minor_units() {
        for code in ["JPY", "KRW", "ISK", "CLP", "VND"] {
            assert_eq!(Currency::parse(code).unwrap().minor_units(), 0, "{code}");
        }
        for code in ["KWD", "BHD", "JOD", "OMR", "TND"] {
            assert_eq!(Currency::parse(code).unwrap().minor_units(), 3, "{code}");
        }
        for code in [
            "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK",
            "HUF", "ZAR", "INR", "SGD", "HKD", "MXN", "BRL", "AED",
        ] {
            let currency = Currency::parse(code).unwrap();
            assert_eq!(currency.minor_units(), 2, "{code}");
            assert_eq!(currency.code(), code);
        }
    }

    #[test]
    fn currency_table_is_sorted_and_unique_so_binary_search_works() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(Currency::all().all(|c| Currency::parse(c.code()) == Ok(c)));
        assert_eq!(Currency::parse("USD"), Ok(Currency::USD));
        assert_eq!(Currency::parse("EUR"), Ok(Currency::EUR));
        assert_eq!(Currency::parse("GBP"), Ok(Currency::GBP));
        assert_eq!(Currency::parse("JPY"), Ok(Currency::JPY));
    }

    #[test]
    fn unknown_or_lowercase_codes_are_refused() {
        for code in ["usd", "Usd", "US", "USDD", "", " USD", "XAU", "ABC"] {
            let err = Currency::parse(code).unwrap_err();
            assert_eq!(err, MoneyError::UnknownCurrency(code.to_owned()));
        }
        assert!(
            Currency::parse("usd")
                .unwrap_err()
                .to_string()
                .contains("uppercase ISO 4217")
        );
    }

    #[test]
    fn currency_serializes_and_displays_as_its_code() {
        assert_eq!(Currency::EUR.to_string(), "EUR");
        assert_eq!(format!("{:?}", Currency::EUR), "Currency(EUR)");
        assert_eq!(serde_json::to_string(&Currency::JPY).unwrap(), "\"JPY\"");
        let kwd: Currency = serde_json::from_str("\"KWD\"").unwrap();
        assert_eq!(kwd.minor_units(), 3);
        assert!(serde_json::from_str::<Currency>("\"eur\"").is_err());
        assert_eq!("CHF".parse::<Currency>().unwrap().code(), "CHF");
    }

    #[test]
    fn round_is_half_away_from_zero_with_the_currency_scale() {
        assert_eq!(Currency::USD.round(d("12.5")).to_string(), "12.50");
        assert_eq!(Currency::USD.round(d("0.125")).to_string(), "0.13");
        assert_eq!(Currency::USD.round(d("-0.125")).to_string(), "-0.13");
        assert_eq!(Currency::USD.round(d("0.135")).to_string(), "0.14");
        assert_eq!(Currency::USD.round(d("0.1249999")).to_string(), "0.12");
        assert_eq!(Currency::USD.round(d("7")).to_string(), "7.00");
        assert_eq!(Currency::JPY.round(d("1234.5")).to_string(), "1235");
        assert_eq!(Currency::JPY.round(d("-2.5")).to_string(), "-3");
        assert_eq!(Currency::JPY.round(d("1000.00")).to_string(), "1000");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.round(d("1.0005")).to_string(), "1.001");
        assert_eq!(kwd.round(d("3")).to_string(), "3.000");
    }

    #[test]
    fn rounding_to_zero_has_no_minus_sign() {
        assert_eq!(Currency::USD.round(d("-0.004")).to_string(), "0.00");
        assert_eq!(Currency::JPY.round(d("-0.4")).to_string(), "0");
        assert_eq!(round_quantity(d("-0.00004")).to_string(), "0.0000");
    }

    #[test]
    fn quantities_round_to_four_decimals() {
        assert_eq!(round_quantity(d("10")).to_string(), "10.0000");
        assert_eq!(round_quantity(d("1.23455")).to_string(), "1.2346");
        assert_eq!(round_quantity(d("-1.23455")).to_string(), "-1.2346");
        let third = Decimal::ONE / Decimal::from(3);
        assert_eq!(round_quantity(third).to_string(), "0.3333");
    }

    #[test]
    fn line_amount_rounds_the_product_once() {
        // 0.3333 × 10.005 = 3.3346665 → 3.33 (rounding the price first would give 3.34).
        assert_eq!(
            line_amount(d("0.3333"), d("10.005"), Currency::USD).to_string(),
            "3.33"
        );
        assert_eq!(
            line_amount(d("41.5161"), d("12.50"), Currency::USD).to_string(),
            "518.95"
        );
        assert_eq!(
            line_amount(d("3"), d("333.5"), Currency::JPY).to_string(),
            "1001"
        );
    }

    #[test]
    fn parse_amount_accepts_plain_decimals_and_keeps_their_scale() {
        assert_eq!(parse_amount("12.50").unwrap().to_string(), "12.50");
        assert_eq!(parse_amount("0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_amount("-0").unwrap().to_string(), "0");
        assert_eq!(parse_amount("-3.25").unwrap(), d("-3.25"));
        assert_eq!(parse_amount("0.000125").unwrap(), d("0.000125"));
        assert_eq!(
            parse_amount("999999999999.9999999999").unwrap(),
            d("999999999999.9999999999")
        );
    }

    #[test]
    fn parse_amount_refuses_anything_but_plain_decimals() {
        for bad in [
            "", "-", ".", "1.", ".5", "-.5", "1e3", "1E3", "+1", " 1", "1 ", "1,000", "1_000",
            "NaN", "inf", "0x10", "--1", "1.2.3", "007", "00.5", "१२",
        ] {
            assert!(
                matches!(parse_amount(bad), Err(MoneyError::InvalidAmount { .. })),
                "{bad:?} should be invalid"
            );
        }
        for big in ["1000000000000", "0.00000000001", "-1000000000000.5"] {
            assert!(
                matches!(parse_amount(big), Err(MoneyError::AmountOutOfRange { .. })),
                "{big:?} should be out of range"
            );
        }
        let message = parse_amount("1e3").unwrap_err().to_string();
        assert!(message.contains("\"1e3\""), "{message}");
    }

    fn currencies() -> impl Strategy<Value = Currency> {
        prop::sample::select(Currency::all().collect::<Vec<_>>())
    }

    proptest! {
        #[test]
        fn round_has_the_currency_scale_and_is_within_half_a_minor_unit(
            mantissa in -10_000_000_000_000i64..10_000_000_000_000,
            scale in 0u32..=8,
            currency in currencies(),
        ) {
            let amount = Decimal::new(mantissa, scale);
            let rounded = currency.round(amount);
            prop_assert_eq!(rounded.scale(), currency.minor_units());
            let half = Decimal::new(5, currency.minor_units() + 1);
            prop_assert!((rounded - amount).abs() <= half);
            prop_assert_eq!(currency.round(rounded), rounded);
            prop_assert_eq!(currency.round(-amount), -rounded);
        }

        #[test]
        fn parse_amount_round_trips_display(
            mantissa in -999_999_999_999i64..999_999_999_999,
            scale in 0u32..=6,
        ) {
            let amount = Decimal::new(mantissa, scale);
            let parsed = parse_amount(&amount.to_string()).unwrap();
            prop_assert_eq!(parsed, amount);
            prop_assert_eq!(parsed.to_string(), amount.to_string());
        }
    }
}
