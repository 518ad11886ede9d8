//! A tenant's export settings: its address and tax identifiers, its clients' addresses, and
//! how services and taxes map to the items, accounts and tax codes of its accounting system.
//!
//! unitbill's database does not hold these yet, so they live in one file per tenant, TOML
//! (`.toml`) or JSON (anything else), given to `unitbill export --settings FILE` or found by
//! the server as `$UNITBILL_EXPORT_SETTINGS_DIR/<tenant slug>.toml`. Every key is optional:
//!
//! ```toml
//! logo = "/srv/unitbill/acme-logo.png"
//!
//! [seller]                       # the MSP; name defaults to the tenant's name
//! lines = ["12 Harbor Road"]
//! city = "Portland"
//! postal_code = "04101"
//! region = "ME"
//! country = "US"                 # ISO 3166-1 alpha-2; "US" when absent
//! tax_registration_id = "12-3456789"   # or vat_id = "DE123456789"
//! legal_registration_id = "ME-20061234" # registry number; the EIN stands in when absent
//! email = "billing@acme-msp.example"
//!
//! [companies."Contoso Ltd"]      # by company id, external reference or name
//! lines = ["1 Main Street"]
//! city = "Albany"
//! country = "US"
//!
//! [pdf]
//! page_size = "a4"               # or "letter" (the default)
//! footer = "Bank: ACME Bank, routing 011000015, account 1234567"
//!
//! [quickbooks]
//! items = { "Datto RMM - Desktop" = "Managed desktops" }
//! tax_codes = { "Kings County + NY State" = "TAX" }   # rate names, sorted
//!
//! [xero]
//! accounts = { "Datto RMM - Desktop" = "210" }
//! tax_types = { "NY State" = "NY Sales Tax" }
//!
//! [journal]
//! revenue_accounts = { "Datto RMM - Desktop" = "revenue:managed services" }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{ExportError, ExportResult};

/// Everything a tenant can configure about its outputs. `Default` is a working setup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportSettings {
    /// A PNG printed at the top of PDFs.
    pub logo: Option<PathBuf>,
    pub seller: PartySettings,
    /// Client details by company id, external reference or name.
    pub companies: BTreeMap<String, PartySettings>,
    pub pdf: PdfSettings,
    pub quickbooks: QuickBooksMapping,
    pub xero: XeroMapping,
    pub journal: JournalMapping,
}

impl ExportSettings {
    /// Reads a settings file: TOML when it ends in `.toml`, JSON otherwise.
    pub fn load(path: &Path) -> ExportResult<Self> {
        let fail = |message: String| ExportError::Settings {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        if path.extension().is_some_and(|e| e == "toml") {
            toml::from_str(&text).map_err(|e| fail(e.to_string()))
        } else {
            serde_json::from_str(&text).map_err(|e| fail(e.to_string()))
        }
    }

    /// The details of a client, looked up by id, then external reference, then name.
    pub fn company(
        &self,
        id: i64,
        external_ref: Option<&str>,
        name: &str,
    ) -> Option<&PartySettings> {
        self.companies
            .get(&id.to_string())
            .or_else(|| external_ref.and_then(|r| self.companies.get(r)))
            .or_else(|| self.companies.get(name))
    }
}

/// A postal address. `country` is an ISO 3166-1 alpha-2 code (EN 16931 requires one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// Street lines, first to last.
    pub lines: Vec<String>,
    pub city: String,
    pub postal_code: String,
    /// State, province or county.
    pub region: String,
    pub country: String,
}

impl Address {
    /// The lines printed under a name: street lines, then `City, REGION POSTAL`, then country.
    pub fn printed(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect();
        let tail = [self.region.trim(), self.postal_code.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let city_line = match (self.city.trim(), tail.as_str()) {
            ("", "") => String::new(),
            (city, "") => city.to_owned(),
            ("", tail) => tail.to_owned(),
            (city, tail) => format!("{city}, {tail}"),
        };
        if !city_line.is_empty() {
            out.push(city_line);
        }
        if !self.country.trim().is_empty() {
            out.push(self.country.trim().to_owned());
        }
        out
    }
}

/// A party's details in the settings file; the name defaults to the tenant's or company's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartySettings {
    pub name: Option<String>,
    /// Street lines, first to last.
    pub lines: Vec<String>,
    pub city: String,
    pub postal_code: String,
    /// State, province or county.
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub vat_id: Option<String>,
    pub tax_registration_id: Option<String>,
    pub legal_registration_id: Option<String>,
    pub email: Option<String>,
}

impl PartySettings {
    pub fn address(&self) -> Address {
        Address {
            lines: self.lines.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
            region: self.region.clone(),
            country: self.country.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageSize {
    #[default]
    Letter,
    A4,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PdfSettings {
    pub page_size: PageSize,
    /// A line printed above the payment terms (bank details, a thank-you).
    pub footer: Option<String>,
}

/// Services and taxes as QuickBooks Online names them. A name QuickBooks does not know is
/// created (items) or refused (tax codes, terms) by its import, so the defaults are the
/// names a US company has out of the box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuickBooksMapping {
    /// Service name -> QuickBooks product/service; by default the service's own name.
    pub items: BTreeMap<String, String>,
    /// The product/service of one-off lines and goodwill credits.
    pub one_off_item: String,
    /// Tax key (the line's rate names, sorted, joined with ` + `) -> tax code.
    pub tax_codes: BTreeMap<String, String>,
    pub taxable_code: String,
    pub exempt_code: String,
    /// jiff `strftime` format of dates; it must match the format picked in the import.
    pub date_format: String,
}

impl Default for QuickBooksMapping {
    fn default() -> Self {
        Self {
            items: BTreeMap::new(),
            one_off_item: "Services".into(),
            tax_codes: BTreeMap::new(),
            taxable_code: "TAX".into(),
            exempt_code: "NON".into(),
            date_format: "%m/%d/%Y".into(),
        }
    }
}

/// Services and taxes as Xero names them (account codes and tax rate names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XeroMapping {
    /// Service name -> revenue account code.
    pub accounts: BTreeMap<String, String>,
    /// Account of services not listed above; Xero's default chart calls 200 "Sales".
    pub default_account: String,
    /// Account of one-off lines and goodwill credits; `default_account` when empty.
    pub one_off_account: String,
    /// Tax key (the line's rate names, sorted, joined with ` + `) -> Xero tax rate name.
    pub tax_types: BTreeMap<String, String>,
    pub taxable_type: String,
    pub exempt_type: String,
    pub date_format: String,
    /// Xero imports at most 500 invoices per file; larger periods are split.
    pub invoices_per_file: usize,
}

impl Default for XeroMapping {
    fn default() -> Self {
        Self {
            accounts: BTreeMap::new(),
            default_account: "200".into(),
            one_off_account: String::new(),
            tax_types: BTreeMap::new(),
            taxable_type: "Tax on Sales".into(),
            exempt_type: "Tax Exempt".into(),
            date_format: "%m/%d/%Y".into(),
            invoices_per_file: 500,
        }
    }
}

/// The accounts of the hledger journal. Receivables get one sub-account per company, revenue
/// one per service, tax one per rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalMapping {
    pub receivables: String,
    pub revenue: String,
    /// Service name -> full revenue account, instead of `revenue:<service>`.
    pub revenue_accounts: BTreeMap<String, String>,
    pub one_off_revenue: String,
    pub tax: String,
    pub cash: String,
}

impl Default for JournalMapping {
    fn default() -> Self {
        Self {
            receivables: "assets:receivables".into(),
            revenue: "revenue".into(),
            revenue_accounts: BTreeMap::new(),
            one_off_revenue: "revenue:one-off".into(),
            tax: "liabilities:sales tax".into(),
            cash: "assets:cash".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_is_a_valid_settings_file() {
        let source = include_str!("settings.rs");
        let block = source
            .split("//! ```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("//! ```").next())
            .unwrap();
        let text: String = block
            .lines()
            .map(|l| l.strip_prefix("//!").unwrap_or(l).trim_start_matches(' '))
            .map(|l| format!("{l}\n"))
            .collect();
        let s: ExportSettings = toml::from_str(&text).unwrap();
        assert_eq!(s.pdf.page_size, PageSize::A4);
        assert_eq!(s.quickbooks.tax_codes["Kings County + NY State"], "TAX");
    }

    #[test]
    fn a_settings_file_reads_in_toml_with_defaults_for_what_it_leaves_out() {
        let s: ExportSettings = toml::from_str(
            r#"
            [seller]
            lines = ["12 Harbor Road"]
            city = "Portland"
            region = "ME"
            postal_code = "04101"
            tax_registration_id = "12-3456789"
            [companies."Contoso Ltd"]
            country = "CA"
            [xero]
            accounts = { "Datto RMM - Desktop" = "210" }
            "#,
        )
        .unwrap();
        assert_eq!(s.seller.city, "Portland");
        assert_eq!(
            s.seller.address().printed(),
            vec!["12 Harbor Road", "Portland, ME 04101"]
        );
        assert_eq!(s.xero.default_account, "200");
        assert_eq!(s.xero.accounts["Datto RMM - Desktop"], "210");
        assert_eq!(s.quickbooks.taxable_code, "TAX");
        assert_eq!(s.company(9, None, "Contoso Ltd").unwrap().country, "CA");
        assert!(toml::from_str::<ExportSettings>("[seller]\ncity_name = \"x\"").is_err());
    }
}
