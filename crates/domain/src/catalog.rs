//! The module catalog: the products unitbill knows, and the billing types each one reports.
//!
//! The built-in catalog is the data file `data/catalog.toml`, embedded at build time, so a
//! fresh binary knows the 17 modules of the seed; operators can extend it with a file of the
//! same shape. Tenants add custom modules, whose billing types register themselves from usage.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a code or catalog file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error(
        "module code {0:?} is not kebab-case (lowercase letters, digits and single dashes, at most 64 characters)"
    )]
    BadModuleCode(String),
    #[error(
        "billing type code {0:?} must be 1 to 64 characters of letters, digits, '_', '-' or '.'"
    )]
    BadBillingTypeCode(String),
    #[error("catalog file: {0}")]
    File(String),
    #[error("module {module}: billing type {code} is listed twice")]
    DuplicateBillingType { module: String, code: String },
}

/// A module's code, as it appears in URLs (`datto-rmm`, `vsa-10`): kebab-case by construction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModuleCode(String);

impl ModuleCode {
    /// Accepts lowercase letters, digits and single dashes, not starting or ending with one.
    pub fn parse(s: &str) -> Result<Self, CatalogError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(CatalogError::BadModuleCode(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ModuleCode {
    type Error = CatalogError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ModuleCode> for String {
    fn from(c: ModuleCode) -> String {
        c.0
    }
}
impl fmt::Display for ModuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A billing type's code within its module (`desktop`, `edr_enabled`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BillingTypeCode(String);

impl BillingTypeCode {
    /// Custom modules register codes from the keys modules send, so the alphabet is a little
    /// wider than the catalog's own snake_case, but still safe in URLs and CSV files.
    pub fn parse(s: &str) -> Result<Self, CatalogError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(CatalogError::BadBillingTypeCode(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for BillingTypeCode {
    type Error = CatalogError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<BillingTypeCode> for String {
    fn from(c: BillingTypeCode) -> String {
        c.0
    }
}
impl fmt::Display for BillingTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a billing type is counted: a number of units, or a switch that bills one unit when on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitOfMeasure {
    Count,
    Flag,
}

impl UnitOfMeasure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Flag => "flag",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "count" => Some(Self::Count),
            "flag" => Some(Self::Flag),
            _ => None,
        }
    }
}

/// One kind of unit a module reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingType {
    pub code: BillingTypeCode,
    pub name: String,
    pub unit: UnitOfMeasure,
}

/// A product that reports usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    pub code: ModuleCode,
    pub name: String,
    /// Custom modules (tenant-defined) register unknown billing types from usage; catalog
    /// modules reject them, because a typo must not silently create an unbilled type.
    #[serde(default)]
    pub custom: bool,
    pub billing_types: Vec<BillingType>,
}

impl Module {
    pub fn billing_type(&self, code: &str) -> Option<&BillingType> {
        self.billing_types.iter().find(|b| b.code.as_str() == code)
    }
}

/// The set of known modules, by code.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    modules: BTreeMap<ModuleCode, Module>,
}

#[derive(Deserialize)]
struct CatalogFile {
    module: Vec<Module>,
}

const BUILT_IN: &str = include_str!("../data/catalog.toml");

impl Catalog {
    /// The catalog shipped with unitbill.
    pub fn built_in() -> Self {
        Self::from_toml(BUILT_IN).expect("the built-in catalog is valid (tested)")
    }

    /// Parses a catalog file; a module listed twice keeps its last entry.
    pub fn from_toml(text: &str) -> Result<Self, CatalogError> {
        let file: CatalogFile =
            toml::from_str(text).map_err(|e| CatalogError::File(e.to_string()))?;
        let mut catalog = Self::default();
        for module in file.module {
            catalog.insert(module)?;
        }
        Ok(catalog)
    }

    /// Adds the modules of another file, replacing those with the same code.
    pub fn extend_from_toml(&mut self, text: &str) -> Result<(), CatalogError> {
        let other = Self::from_toml(text)?;
        self.modules.extend(other.modules);
        Ok(())
    }

    fn insert(&mut self, module: Module) -> Result<(), CatalogError> {
        let mut seen = std::collections::HashSet::new();
        for b in &module.billing_types {
            if !seen.insert(b.code.as_str()) {
                return Err(CatalogError::DuplicateBillingType {
                    module: module.code.to_string(),
                    code: b.code.to_string(),
                });
            }
        }
        self.modules.insert(module.code.clone(), module);
        Ok(())
    }

    pub fn get(&self, code: &str) -> Option<&Module> {
        ModuleCode::parse(code)
            .ok()
            .and_then(|c| self.modules.get(&c))
    }

    pub fn modules(&self) -> impl Iterator<Item = &Module> {
        self.modules.values()
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_catalog_has_the_seventeen_modules_of_the_seed() {
        let c = Catalog::built_in();
        assert_eq!(c.len(), 17);
        for code in [
            "audit-suite",
            "compliance-manager",
            "cyber-hawk",
            "network-detective",
            "vulscan",
            "security-suite",
            "darkweb-id",
            "datto-edr",
            "graphus",
            "passly",
            "rocketcyber",
            "unified-rmm",
            "datto-rmm",
            "vsa-10",
            "backup-dr",
            "datto-file-protection",
            "datto-workplace",
        ] {
            let m = c.get(code).unwrap_or_else(|| panic!("{code} missing"));
            assert!(!m.billing_types.is_empty());
            assert!(!m.custom);
        }
        let rmm = c.get("datto-rmm").unwrap();
        assert_eq!(
            rmm.billing_type("desktop").unwrap().unit,
            UnitOfMeasure::Count
        );
        assert_eq!(
            rmm.billing_type("edr_enabled").unwrap().unit,
            UnitOfMeasure::Flag
        );
    }

    #[test]
    fn module_codes_are_kebab_case() {
        assert!(ModuleCode::parse("datto-rmm").is_ok());
        assert!(ModuleCode::parse("vsa-10").is_ok());
        for bad in ["", "Datto", "-x", "x-", "a--b", "a_b", "a b"] {
            assert!(ModuleCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn extending_replaces_by_code() {
        let mut c = Catalog::built_in();
        c.extend_from_toml(
            "[[module]]\ncode='cyber-hawk'\nname='Cyber Hawk 2'\nbilling_types=[{code='x',name='X',unit='count'}]\n",
        )
        .unwrap();
        assert_eq!(c.get("cyber-hawk").unwrap().name, "Cyber Hawk 2");
        assert_eq!(c.len(), 17);
    }

    #[test]
    fn duplicate_billing_types_are_refused() {
        let e = Catalog::from_toml(
            "[[module]]\ncode='m'\nname='M'\nbilling_types=[{code='x',name='X',unit='count'},{code='x',name='Y',unit='flag'}]\n",
        );
        assert!(matches!(e, Err(CatalogError::DuplicateBillingType { .. })));
    }
}
