//! The service catalog: what contracts bill (name, default price and cost, taxable).

use askama::Template;
use unitbill_engine::setup::ServiceInput;
use unitbill_store::Role;

use super::{Ctx, Errors, FormData, Layout, UiResult, render, render_invalid};

struct ServiceRow {
    name: String,
    description: String,
    unit_price: String,
    unit_cost: String,
    taxable: bool,
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    layout: Layout,
    currency: String,
    rows: Vec<ServiceRow>,
    name: String,
    unit_price: String,
    unit_cost: String,
    taxable: bool,
    description: String,
    errors: Errors,
}

async fn services_page(ctx: &Ctx) -> UiResult<ServicesPage> {
    let mut rows: Vec<ServiceRow> = ctx
        .engine()
        .services(ctx.tenant_id())
        .await?
        .into_iter()
        .map(|s| ServiceRow {
            name: s.name,
            description: s.description,
            unit_price: s.unit_price.to_string(),
            unit_cost: s.unit_cost.to_string(),
            taxable: s.taxable,
        })
        .collect();
    rows.sort_by_key(|a| a.name.to_lowercase());
    Ok(ServicesPage {
        layout: ctx.layout("Services", "services"),
        currency: ctx.tenant.currency.clone(),
        rows,
        name: String::new(),
        unit_price: String::new(),
        unit_cost: String::new(),
        taxable: true,
        description: String::new(),
        errors: Errors::default(),
    })
}

pub(crate) async fn list(ctx: Ctx) -> UiResult {
    render(&services_page(&ctx).await?)
}

pub(crate) async fn create(ctx: Ctx, form: FormData) -> UiResult {
    ctx.require(Role::Billing)?;
    let input = ServiceInput {
        name: form.text("name"),
        unit_price: form.text("unit_price"),
        unit_cost: form.get("unit_cost"),
        taxable: form.get("taxable").is_some(),
        description: form.get("description"),
    };
    match ctx.engine().create_service(ctx.tenant_id(), &input).await {
        Ok(s) => ctx.done("/services", &format!("Service {} created.", s.name)),
        Err(e) => {
            let mut page = services_page(&ctx).await?;
            page.errors =
                Errors::from_engine(e, &["name", "unit_price", "unit_cost", "description"])?;
            page.name = input.name;
            page.unit_price = input.unit_price;
            page.unit_cost = input.unit_cost.unwrap_or_default();
            page.taxable = input.taxable;
            page.description = input.description.unwrap_or_default();
            render_invalid("/services", &page)
        }
    }
}
