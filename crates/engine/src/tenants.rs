//! Tenants, users, and the modules a tenant connects.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use unitbill_domain::catalog::{Module, ModuleCode};
use unitbill_domain::money::Currency;
use unitbill_store::{ModuleKey, NewTenant, Role, Tenant, User};

use crate::auth::{IssuedSecret, hash_password};
use crate::{Engine, EngineError, EngineResult};

/// A tenant to create, as a person typed it.
#[derive(Debug, Clone)]
pub struct TenantInput {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub sync_hour: i64,
}

/// A tenant's time zone, checked against the bundled tz database.
pub fn parse_time_zone(name: &str) -> EngineResult<TimeZone> {
    TimeZone::get(name).map_err(|_| {
        EngineError::field(
            "time_zone",
            format!("{name:?} is not an IANA time zone (e.g. America/New_York)"),
        )
    })
}

/// The civil date it is now in the tenant's time zone.
pub fn tenant_today(engine: &Engine, tenant: &Tenant) -> EngineResult<Date> {
    let tz = parse_time_zone(&tenant.time_zone)?;
    Ok(engine.clock.now().to_zoned_datetime(tz).date())
}

/// The tenant's history start (DESIGN.md, "Ingestion"): the date an admin set, else the first
/// day of the month 24 months before the tenant was created; a retention setting moves it later.
/// No usage before it is accepted, and the sync never computes a day before it.
pub fn history_start(engine: &Engine, tenant: &Tenant) -> EngineResult<Date> {
    let start = match tenant.history_start.as_deref().map(str::parse::<Date>) {
        Some(Ok(set)) => set,
        _ => default_history_start(engine, tenant)?,
    };
    let retained = match tenant.retention_days {
        Some(days) => tenant_today(engine, tenant)?
            .checked_sub(jiff::ToSpan::days(days))
            .unwrap_or(start),
        None => start,
    };
    Ok(start.max(retained))
}

/// The history start when the tenant sets none: the first day of the month 24 months before
/// the tenant was created, in its time zone.
pub fn default_history_start(engine: &Engine, tenant: &Tenant) -> EngineResult<Date> {
    let tz = parse_time_zone(&tenant.time_zone)?;
    let created = tenant
        .created_at
        .parse::<jiff::Timestamp>()
        .map(|t| t.to_zoned_datetime(tz).date())
        // A creation time that does not read (records made outside the engine) counts from
        // today: the window is still 24 months.
        .or_else(|_| tenant_today(engine, tenant))?;
    Ok(unitbill_domain::period::Period::of(created)
        .add_months(-24)
        .first_day())
}

impl Engine {
    pub async fn create_tenant(&self, input: &TenantInput) -> EngineResult<Tenant> {
        let mut errors = Vec::new();
        let slug = input.slug.trim().to_lowercase();
        if ModuleCode::parse(&slug).is_err() {
            errors.push(unitbill_domain::usage::FieldError::new(
                "slug",
                "must be lowercase letters, digits and dashes (e.g. acme-msp)",
            ));
        }
        if input.name.trim().is_empty() {
            errors.push(unitbill_domain::usage::FieldError::new(
                "name",
                "must not be empty",
            ));
        }
        if let Err(EngineError::Invalid(mut e)) = parse_time_zone(&input.time_zone) {
            errors.append(&mut e);
        }
        let currency = Currency::parse(input.currency.trim());
        if let Err(e) = &currency {
            errors.push(unitbill_domain::usage::FieldError::new(
                "currency",
                e.to_string(),
            ));
        }
        if !(0..=23).contains(&input.sync_hour) {
            errors.push(unitbill_domain::usage::FieldError::new(
                "sync_hour",
                "must be an hour from 0 to 23",
            ));
        }
        if !errors.is_empty() {
            return Err(EngineError::Invalid(errors));
        }
        Ok(self
            .store
            .create_tenant(&NewTenant {
                slug,
                name: input.name.trim().to_owned(),
                time_zone: input.time_zone.trim().to_owned(),
                currency: currency.expect("checked").code().to_owned(),
                sync_hour: input.sync_hour,
                now: self.now_text(),
            })
            .await?)
    }

    /// Finds a tenant by slug or numeric id.
    pub async fn find_tenant(&self, slug_or_id: &str) -> EngineResult<Tenant> {
        match slug_or_id.parse::<i64>() {
            Ok(id) => Ok(self.store.tenant(id).await?),
            Err(_) => Ok(self.store.tenant_by_slug(slug_or_id).await?),
        }
    }

    pub async fn add_user(
        &self,
        tenant_id: i64,
        email: &str,
        password: &str,
        role: Role,
    ) -> EngineResult<User> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.len() > 254 {
            return Err(EngineError::field("email", "must be an email address"));
        }
        let hash = hash_password(password)?;
        Ok(self
            .store
            .add_user(tenant_id, &email, &hash, role, &self.now_text())
            .await?)
    }

    /// The definition of a module for a tenant: a catalog module, or a custom module the tenant
    /// connected, with the billing types its usage registered.
    pub async fn module_definition(
        &self,
        tenant_id: i64,
        module_code: &str,
    ) -> EngineResult<Module> {
        if let Some(m) = self.catalog.get(module_code) {
            return Ok(m.clone());
        }
        let connected = self.store.connected_modules(tenant_id).await?;
        let custom = connected
            .into_iter()
            .find(|m| m.custom && m.module_code == module_code)
            .ok_or_else(|| {
                EngineError::NotFound(format!(
                    "module {module_code:?} (not in the catalog nor a custom module of this tenant)"
                ))
            })?;
        Ok(Module {
            code: ModuleCode::parse(&custom.module_code)
                .map_err(|e| EngineError::field("module", e.to_string()))?,
            name: custom.name,
            custom: true,
            billing_types: self
                .store
                .custom_billing_types(tenant_id, module_code)
                .await?,
        })
    }

    /// Connects a module and issues its key (shown once). A code that is not in the catalog
    /// connects a custom module named `custom_name`.
    pub async fn connect_module(
        &self,
        tenant_id: i64,
        module_code: &str,
        custom_name: Option<&str>,
    ) -> EngineResult<IssuedSecret<ModuleKey>> {
        let code = ModuleCode::parse(module_code)
            .map_err(|e| EngineError::field("module", e.to_string()))?;
        let (name, custom) = match (self.catalog.get(code.as_str()), custom_name) {
            (Some(m), _) => (m.name.clone(), false),
            (None, Some(name)) if !name.trim().is_empty() => (name.trim().to_owned(), true),
            (None, _) => {
                return Err(EngineError::field(
                    "module",
                    format!(
                        "{module_code:?} is not in the catalog; give a name to connect it as a custom module"
                    ),
                ));
            }
        };
        self.store
            .connect_module(tenant_id, code.as_str(), &name, custom, &self.now_text())
            .await?;
        self.issue_module_key(tenant_id, code.as_str()).await
    }
}

/// Tenant settings an admin may change (only the fields given).
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub name: Option<String>,
    /// IANA zone; periods are civil months there.
    pub time_zone: Option<String>,
    /// Hour (0-23, tenant time) the nightly sync runs.
    pub sync_hour: Option<i64>,
    /// Periods before the charged one that adjustments settle (default 3).
    pub lookback_periods: Option<i64>,
    /// Days of usage history accepted; 0 clears the limit.
    pub retention_days: Option<i64>,
    /// Days of activity log kept; 0 keeps everything (the default).
    pub activity_retention_days: Option<i64>,
    /// e.g. `INV-{seq:05}` or `{year}-{seq}`.
    pub invoice_number_format: Option<String>,
    pub credit_note_number_format: Option<String>,
    /// First day usage is accepted for (`YYYY-MM-DD`); an empty text restores the default.
    pub history_start: Option<String>,
}

impl Engine {
    /// A history start an admin typed: a date from 1900 to today (tenant time); empty clears.
    fn check_history_start(
        &self,
        tenant: &Tenant,
        text: &str,
        p: &mut crate::setup::Problems,
    ) -> EngineResult<Option<String>> {
        if text.is_empty() {
            return Ok(None);
        }
        let today = tenant_today(self, tenant)?;
        match crate::ingest::parse_date("history_start", text) {
            Ok(d) if d.year() >= 1900 && d <= today => Ok(Some(d.to_string())),
            Ok(_) => {
                p.add(
                    "history_start",
                    format!("must be a date from 1900-01-01 to today ({today})"),
                );
                Ok(None)
            }
            Err(_) => {
                p.add(
                    "history_start",
                    format!("{text:?} is not a date of the form YYYY-MM-DD"),
                );
                Ok(None)
            }
        }
    }

    pub async fn update_settings(
        &self,
        tenant_id: i64,
        input: &SettingsInput,
    ) -> EngineResult<Tenant> {
        use unitbill_domain::numbering::check_pattern;
        let mut t = self.store.tenant(tenant_id).await?;
        let mut p = crate::setup::Problems::default();
        if let Some(n) = &input.name {
            if n.trim().is_empty() {
                p.add("name", "must not be empty");
            }
            t.name = n.trim().to_owned();
        }
        if let Some(z) = &input.time_zone {
            if parse_time_zone(z).is_err() {
                p.add("time_zone", format!("{z:?} is not an IANA time zone"));
            }
            t.time_zone = z.trim().to_owned();
        }
        if let Some(h) = input.sync_hour {
            if !(0..=23).contains(&h) {
                p.add("sync_hour", "must be an hour from 0 to 23");
            }
            t.sync_hour = h;
        }
        if let Some(n) = input.lookback_periods {
            if !(0..=24).contains(&n) {
                p.add("lookback_periods", "must be from 0 to 24");
            }
            t.lookback_periods = n;
        }
        if let Some(d) = input.retention_days {
            if d < 0 {
                p.add("retention_days", "must not be negative");
            }
            t.retention_days = (d > 0).then_some(d);
        }
        if let Some(d) = input.activity_retention_days {
            if d < 0 {
                p.add("activity_retention_days", "must not be negative");
            }
            t.activity_retention_days = (d > 0).then_some(d);
        }
        if let Some(h) = &input.history_start {
            t.history_start = self.check_history_start(&t, h.trim(), &mut p)?;
        }
        for (field, value, slot) in [
            (
                "invoice_number_format",
                &input.invoice_number_format,
                &mut t.invoice_number_format,
            ),
            (
                "credit_note_number_format",
                &input.credit_note_number_format,
                &mut t.credit_note_number_format,
            ),
        ] {
            if let Some(f) = value {
                if let Err(why) = check_pattern(f.trim()) {
                    p.add(field, why);
                }
                *slot = f.trim().to_owned();
            }
        }
        if t.invoice_number_format == t.credit_note_number_format {
            p.add(
                "credit_note_number_format",
                "must differ from the invoice number format",
            );
        }
        p.finish()?;
        Ok(self.store.update_tenant(&t).await?)
    }
}
