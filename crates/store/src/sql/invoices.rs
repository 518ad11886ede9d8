//! Invoice runs, documents and their numbering, one-off lines, payments and credit.

use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::document::{CreditReason, DocumentKind, DocumentStatus, PostedLine};
use unitbill_domain::invoice::LineKind;
use unitbill_domain::ledger;
use unitbill_domain::numbering::format_number;

use crate::sql::{JsonRows, conflict, date_text, sql_backend};
use crate::{
    CreditApplication, DocumentLineRecord, DocumentRecord, InvoiceStore, NewPayment, OneOffRecord,
    PaymentRecord, RunWrite, StoreError, StoreResult,
};

/// The year of a stored `YYYY-MM-DD` issue date, for `{year}` in number patterns.
fn issue_year(issue_date: &str) -> i16 {
    issue_date
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(0)
}

/// A document a post is about to number: what the checks and the numbering read.
struct PostCandidate {
    id: i64,
    period: String,
    kind: DocumentKind,
    status: DocumentStatus,
    issue_date: String,
}

/// An invoice locked for a payment or a credit application.
struct LockedInvoice {
    id: i64,
    company_id: i64,
    status: DocumentStatus,
    total: Decimal,
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

fn dec(s: &str) -> StoreResult<Decimal> {
    s.parse().map_err(|_| corrupt("decimal", s))
}

fn day(s: &str) -> StoreResult<Date> {
    s.parse().map_err(|_| corrupt("date", s))
}

fn json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|_| corrupt("json", s))
}

// The TEXT columns of documents and their lines hold the enums' `as_str` spellings (the
// partial unique index of the migrations names 'draft', 'invoice' and 'run'): read back, any
// other text is corruption.

fn doc_kind(s: &str) -> StoreResult<DocumentKind> {
    DocumentKind::parse(s).ok_or_else(|| corrupt("document kind", s))
}

fn doc_status(s: &str) -> StoreResult<DocumentStatus> {
    DocumentStatus::parse(s).ok_or_else(|| corrupt("document status", s))
}

fn credit_reason(s: Option<&str>) -> StoreResult<Option<CreditReason>> {
    s.map(|r| CreditReason::parse(r).ok_or_else(|| corrupt("credit reason", r)))
        .transpose()
}

fn line_kind(s: &str) -> StoreResult<LineKind> {
    s.parse().map_err(|_| corrupt("line kind", s))
}

const DOC_COLUMNS: &str = "id, period, company_id, kind, credit_reason, status, number, currency, issue_date, due_date, \
    subtotal, tax_total, total, taxes, purchase_orders, voids_document_id, posted_at";

#[derive(sqlx::FromRow)]
struct DocRow {
    id: i64,
    period: String,
    company_id: i64,
    kind: String,
    credit_reason: Option<String>,
    status: String,
    number: Option<String>,
    currency: String,
    issue_date: String,
    due_date: Option<String>,
    subtotal: String,
    tax_total: String,
    total: String,
    taxes: String,
    purchase_orders: String,
    voids_document_id: Option<i64>,
    posted_at: Option<String>,
}

fn doc(r: DocRow) -> StoreResult<DocumentRecord> {
    Ok(DocumentRecord {
        id: r.id,
        period: r.period,
        company_id: r.company_id,
        kind: doc_kind(&r.kind)?,
        credit_reason: credit_reason(r.credit_reason.as_deref())?,
        status: doc_status(&r.status)?,
        number: r.number,
        currency: r.currency,
        issue_date: day(&r.issue_date)?,
        due_date: r.due_date.as_deref().map(day).transpose()?,
        subtotal: dec(&r.subtotal)?,
        tax_total: dec(&r.tax_total)?,
        total: dec(&r.total)?,
        taxes: json(&r.taxes)?,
        purchase_orders: json(&r.purchase_orders)?,
        voids_document_id: r.voids_document_id,
        posted_at: r.posted_at,
        lines: Vec::new(),
    })
}

const LINE_COLUMNS: &str = "line_no, company_id, for_child, contract_service_id, service_id, contract_id, period, kind, description, \
    quantity, unit_price, amount, taxable, tax_rates, stale";

type LineRow = (
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    String,
    bool,
);

fn line(r: LineRow) -> StoreResult<DocumentLineRecord> {
    Ok(DocumentLineRecord {
        line_no: r.0,
        company_id: r.1,
        for_child: r.2,
        contract_service_id: r.3,
        service_id: r.4,
        contract_id: r.5,
        period: r.6,
        kind: line_kind(&r.7)?,
        description: r.8,
        quantity: dec(&r.9)?,
        unit_price: dec(&r.10)?,
        amount: dec(&r.11)?,
        taxable: r.12,
        tax_rates: json(&r.13)?,
        stale: r.14,
    })
}

sql_backend! {
    impl InvoiceStore {
        async fn invoice_runs(&self, tenant_id: i64) -> StoreResult<Vec<String>> {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT period FROM invoice_runs WHERE tenant_id = $1 ORDER BY period").bind(tenant_id).fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        }

        async fn replace_drafts(&self, tenant_id: i64, period: &str, drafts: &[DocumentRecord], now: &str) -> StoreResult<RunWrite> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            // The run row is the lock a regenerated run and a concurrent post queue on.
            sqlx::query(
                "INSERT INTO invoice_runs (tenant_id, period, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant_id, period) DO UPDATE SET created_at = invoice_runs.created_at",
            )
            .bind(tenant_id)
            .bind(period)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM document_lines WHERE tenant_id = $1 AND document_id IN \
                 (SELECT id FROM documents WHERE tenant_id = $1 AND period = $2 AND status = 'draft')",
            )
            .bind(tenant_id)
            .bind(period)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM documents WHERE tenant_id = $1 AND period = $2 AND status = 'draft'")
                .bind(tenant_id)
                .bind(period)
                .execute(&mut *tx)
                .await?;
            // Read inside the transaction, after taking the run's lock: a company invoiced (or
            // credited by a run) for the period gets no new draft, whatever the caller read.
            let done: Vec<(i64,)> = sqlx::query_as(
                "SELECT DISTINCT company_id FROM documents
                 WHERE tenant_id = $1 AND period = $2 AND status <> 'draft'
                   AND (kind = 'invoice' OR credit_reason = 'run')",
            )
            .bind(tenant_id)
            .bind(period)
            .fetch_all(&mut *tx)
            .await?;
            let skipped: std::collections::BTreeSet<i64> = done.into_iter().map(|(c,)| c).collect();
            let kept: Vec<&DocumentRecord> = drafts.iter().filter(|d| !skipped.contains(&d.company_id)).collect();
            let ids = Self::insert_documents(&mut tx, tenant_id, &kept, now).await?;
            tx.commit().await?;
            Ok(RunWrite { draft_ids: ids, skipped_companies: skipped.into_iter().collect() })
        }

        async fn documents(&self, tenant_id: i64, period: Option<&str>, company_id: Option<i64>) -> StoreResult<Vec<DocumentRecord>> {
            let sql = format!(
                "SELECT {DOC_COLUMNS} FROM documents WHERE tenant_id = $1 AND ($2 IS NULL OR period = $2) AND ($3 IS NULL OR company_id = $3) \
                 ORDER BY period DESC, id"
            );
            let rows: Vec<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(period).bind(company_id).fetch_all(&self.pool).await?;
            rows.into_iter().map(doc).collect()
        }

        async fn period_documents(&self, tenant_id: i64, period: &str) -> StoreResult<Vec<DocumentRecord>> {
            let mut docs = self.documents(tenant_id, Some(period), None).await?;
            docs.sort_by_key(|d| d.id);
            // Lines and their document ids come in the same order from two reads (the line row
            // type is already at the tuple size sqlx decodes).
            let from = "FROM document_lines l JOIN documents d ON d.tenant_id = l.tenant_id AND d.id = l.document_id \
                        WHERE l.tenant_id = $1 AND d.period = $2 ORDER BY l.document_id, l.line_no";
            let ids: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT l.document_id {from}")))
                .bind(tenant_id)
                .bind(period)
                .fetch_all(&self.pool)
                .await?;
            let cols = LINE_COLUMNS.split(", ").map(|c| format!("l.{}", c.trim())).collect::<Vec<_>>().join(", ");
            let lines: Vec<LineRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {cols} {from}")))
                .bind(tenant_id)
                .bind(period)
                .fetch_all(&self.pool)
                .await?;
            let mut by_doc: std::collections::HashMap<i64, Vec<DocumentLineRecord>> = std::collections::HashMap::new();
            for ((doc_id,), l) in ids.into_iter().zip(lines) {
                by_doc.entry(doc_id).or_default().push(line(l)?);
            }
            for d in &mut docs {
                d.lines = by_doc.remove(&d.id).unwrap_or_default();
            }
            Ok(docs)
        }

        async fn document(&self, tenant_id: i64, id: i64) -> StoreResult<DocumentRecord> {
            let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2");
            let row: Option<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(id).fetch_optional(&self.pool).await?;
            let mut d = doc(row.ok_or_else(|| StoreError::NotFound(format!("document {id}")))?)?;
            let sql = format!("SELECT {LINE_COLUMNS} FROM document_lines WHERE tenant_id = $1 AND document_id = $2 ORDER BY line_no");
            let rows: Vec<LineRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(id).fetch_all(&self.pool).await?;
            d.lines = rows.into_iter().map(line).collect::<StoreResult<_>>()?;
            Ok(d)
        }

        async fn document_by_number(&self, tenant_id: i64, number: &str) -> StoreResult<DocumentRecord> {
            let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM documents WHERE tenant_id = $1 AND number = $2")
                .bind(tenant_id)
                .bind(number)
                .fetch_optional(&self.pool)
                .await?;
            let (id,) = row.ok_or_else(|| StoreError::NotFound(format!("document {number:?}")))?;
            self.document(tenant_id, id).await
        }

        async fn posted_lines(&self, tenant_id: i64, from: &str, to: &str) -> StoreResult<Vec<PostedLine>> {
            // Lines first, then the kinds of their documents: two set-based reads.
            let cols = LINE_COLUMNS.split(", ").map(|c| format!("l.{}", c.trim())).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT {cols} FROM document_lines l JOIN documents d ON d.tenant_id = l.tenant_id AND d.id = l.document_id \
                 WHERE l.tenant_id = $1 AND d.status <> 'draft' AND l.period >= $2 AND l.period <= $3 ORDER BY l.document_id, l.line_no"
            );
            let lines: Vec<LineRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(from).bind(to).fetch_all(&self.pool).await?;
            let sql = "SELECT l.document_id, l.line_no, d.kind, d.credit_reason FROM document_lines l JOIN documents d \
                 ON d.tenant_id = l.tenant_id AND d.id = l.document_id \
                 WHERE l.tenant_id = $1 AND d.status <> 'draft' AND l.period >= $2 AND l.period <= $3 ORDER BY l.document_id, l.line_no";
            let kinds: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(sql).bind(tenant_id).bind(from).bind(to).fetch_all(&self.pool).await?;
            lines
                .into_iter()
                .zip(kinds)
                .map(|(l, (_, _, kind, reason))| {
                    Ok(PostedLine { line: line(l)?, kind: doc_kind(&kind)?, credit_reason: credit_reason(reason.as_deref())? })
                })
                .collect()
        }

        async fn post_documents(&self, tenant_id: i64, ids: &[i64], now: &str) -> StoreResult<Vec<DocumentRecord>> {
            // Set-based: a handful of statements however many drafts, all in one transaction.
            // Locks are taken in a fixed order (run rows by period, documents by id, sequence
            // rows by kind), so two posts of overlapping lists cannot deadlock.
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            // The first document that does not exist or is not a draft refuses the list.
            let found = Self::post_candidates(&mut tx, tenant_id, &ids, false).await?;
            let mut periods = std::collections::BTreeSet::new();
            for id in &ids {
                let d = found.get(id).ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
                if d.status != DocumentStatus::Draft {
                    return Err(StoreError::Conflict(format!("document {id} is not a draft (posted already?)")));
                }
                periods.insert(d.period.clone());
            }
            // Serialize with a run regenerating the same period (it takes the run row first).
            for period in &periods {
                sqlx::query("UPDATE invoice_runs SET created_at = created_at WHERE tenant_id = $1 AND period = $2")
                    .bind(tenant_id)
                    .bind(period.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            // Read again under the locks: of concurrent posts of one draft, one finds it a draft
            // and the others wait for it, then find it posted; a regeneration that went first
            // has deleted it.
            let claimed = Self::post_candidates(&mut tx, tenant_id, &ids, true).await?;
            for id in &ids {
                match claimed.get(id) {
                    None => return Err(StoreError::NotFound(format!("document {id}"))),
                    Some(d) if d.status != DocumentStatus::Draft => {
                        return Err(StoreError::Conflict(format!("document {id} is not a draft (posted already?)")));
                    }
                    Some(_) => {}
                }
            }
            // Each kind takes as many consecutive values of its sequence as it has documents,
            // given out in id order: what posting them one by one would give.
            let mut numbers = JsonRows::new();
            let mut by_kind: std::collections::BTreeMap<&str, Vec<&PostCandidate>> = std::collections::BTreeMap::new();
            for d in claimed.values() {
                by_kind.entry(d.kind.as_str()).or_default().push(d);
            }
            for docs in by_kind.values() {
                let kind = docs[0].kind;
                let (first, pattern) = Self::take_numbers(&mut tx, tenant_id, kind, docs.len() as i64).await?;
                for (seq, d) in (first..).zip(docs) {
                    numbers.push(&(d.id, format_number(&pattern, seq, issue_year(&d.issue_date))));
                }
            }
            // The numbers are materialized first: joined directly, SQLite's planner scans the
            // tenant's documents and the whole JSON array for each (quadratic); from the
            // materialized rows it looks each document up by id.
            let sql = format!(
                "WITH numbers AS MATERIALIZED (
                     SELECT CAST(value->>0 AS BIGINT) AS document_id, value->>1 AS number FROM {}
                 )
                 UPDATE documents SET status = 'posted', posted_at = $3, number = numbers.number
                 FROM numbers
                 WHERE documents.tenant_id = $2 AND documents.id = numbers.document_id AND documents.status = 'draft'
                 RETURNING documents.id",
                DB::JSON_ROWS
            );
            let periods = periods.into_iter().collect::<Vec<_>>().join(", ");
            let done: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(numbers.finish())
                .bind(tenant_id)
                .bind(now)
                .fetch_all(&mut *tx)
                .await
                // The unique index on posted documents per company and period is the guard.
                .map_err(conflict(format!("an invoice for a company and period {periods} of these documents is posted already")))?;
            if done.len() != ids.len() {
                return Err(StoreError::Conflict("a document of the list is no longer a draft".into()));
            }
            tx.commit().await?;
            self.documents_with_lines(tenant_id, &ids).await
        }

        async fn document_headers(&self, tenant_id: i64, ids: &[i64]) -> StoreResult<Vec<DocumentRecord>> {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            let mut docs = Vec::with_capacity(ids.len());
            for rows in JsonRows::chunks(&ids, |rows, id| rows.push(&(*id,))) {
                let sql = format!(
                    "SELECT {DOC_COLUMNS} FROM documents
                     WHERE tenant_id = $2 AND id IN (SELECT CAST(value->>0 AS BIGINT) FROM {})
                     ORDER BY id",
                    DB::JSON_ROWS
                );
                let rows: Vec<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(rows).bind(tenant_id).fetch_all(&self.pool).await?;
                for r in rows {
                    docs.push(doc(r)?);
                }
            }
            Ok(docs)
        }

        async fn insert_posted_credit_note(&self, tenant_id: i64, note: &DocumentRecord, now: &str) -> StoreResult<DocumentRecord> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            if let Some(voided) = note.voids_document_id {
                let done: Option<(i64,)> = sqlx::query_as(
                    "UPDATE documents SET status = 'void' WHERE tenant_id = $1 AND id = $2 AND kind = 'invoice' AND status <> 'draft' AND status <> 'void' RETURNING id",
                )
                .bind(tenant_id)
                .bind(voided)
                .fetch_optional(&mut *tx)
                .await?;
                if done.is_none() {
                    return Err(StoreError::Conflict(format!("document {voided} is not a posted invoice that can be voided")));
                }
            }
            let id = Self::insert_document(&mut tx, tenant_id, note, now).await?;
            let number = Self::next_number(&mut tx, tenant_id, DocumentKind::CreditNote, &date_text(note.issue_date)).await?;
            sqlx::query("UPDATE documents SET status = 'posted', number = $3, posted_at = $4 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .bind(number)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            self.document(tenant_id, id).await
        }

        async fn add_one_off(&self, tenant_id: i64, o: &OneOffRecord, now: &str) -> StoreResult<OneOffRecord> {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO one_offs (tenant_id, company_id, period, description, quantity, unit_price, taxable, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(tenant_id)
            .bind(o.company_id)
            .bind(o.period.as_str())
            .bind(o.description.as_str())
            .bind(o.quantity.to_string())
            .bind(o.unit_price.to_string())
            .bind(o.taxable)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
            Ok(OneOffRecord { id, ..o.clone() })
        }

        async fn one_offs(&self, tenant_id: i64, period: &str) -> StoreResult<Vec<OneOffRecord>> {
            let rows: Vec<(i64, i64, String, String, String, String, bool)> = sqlx::query_as(
                "SELECT id, company_id, period, description, quantity, unit_price, taxable FROM one_offs WHERE tenant_id = $1 AND period = $2 ORDER BY id",
            )
            .bind(tenant_id)
            .bind(period)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| Ok(OneOffRecord { id: r.0, company_id: r.1, period: r.2, description: r.3, quantity: dec(&r.4)?, unit_price: dec(&r.5)?, taxable: r.6 }))
                .collect()
        }

        async fn record_payment(&self, tenant_id: i64, p: &NewPayment, now: &str) -> StoreResult<PaymentRecord> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let doc = Self::lock_invoice(&mut tx, tenant_id, p.document_id).await?;
            let voided = doc.status == DocumentStatus::Void;
            let open = Self::open_amount_in(&mut tx, tenant_id, doc.id, doc.total).await?;
            let applied = ledger::payment_applied(p.amount, open, voided);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO payments (tenant_id, company_id, document_id, amount, applied, paid_on, method, reference, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(tenant_id)
            .bind(doc.company_id)
            .bind(doc.id)
            .bind(p.amount.to_string())
            .bind(applied.to_string())
            .bind(date_text(p.paid_on))
            .bind(p.method.as_str())
            .bind(p.reference.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            if !voided {
                Self::set_paid_status(&mut tx, tenant_id, doc.id, ledger::paid_status(open - applied, doc.total)).await?;
            }
            tx.commit().await?;
            Ok(PaymentRecord {
                id,
                company_id: doc.company_id,
                document_id: Some(doc.id),
                amount: p.amount,
                applied,
                paid_on: p.paid_on,
                method: p.method.clone(),
                reference: p.reference.clone(),
            })
        }

        async fn apply_credit(&self, tenant_id: i64, document_id: i64, wanted: Option<Decimal>, now: &str) -> StoreResult<Decimal> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let doc = Self::lock_invoice(&mut tx, tenant_id, document_id).await?;
            if doc.status == DocumentStatus::Void {
                return Err(StoreError::Conflict("credit is applied to posted invoices, not voided ones".into()));
            }
            // The company row is the lock two credit applications of one company queue on.
            let sql = format!("SELECT id FROM companies WHERE tenant_id = $1 AND id = $2{}", DB::FOR_UPDATE);
            sqlx::query_as::<DB, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(doc.company_id).fetch_optional(&mut *tx).await?;
            let balance = Self::credit_balance_in(&mut tx, tenant_id, doc.company_id).await?;
            let open = Self::open_amount_in(&mut tx, tenant_id, doc.id, doc.total).await?;
            let available = balance.min(open);
            let apply = match wanted {
                // Asked for more than there is (a concurrent application took it): refused.
                Some(w) if w > available => {
                    return Err(StoreError::Conflict(format!("{w} is more than can be applied: credit balance {balance}, open amount {open}")));
                }
                Some(w) => w,
                None => available,
            };
            if apply <= Decimal::ZERO {
                return Err(StoreError::Conflict(format!("nothing to apply: credit balance {balance}, open amount {open}")));
            }
            sqlx::query("INSERT INTO credit_applications (tenant_id, company_id, document_id, amount, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(tenant_id)
                .bind(doc.company_id)
                .bind(doc.id)
                .bind(apply.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Self::set_paid_status(&mut tx, tenant_id, doc.id, ledger::paid_status(open - apply, doc.total)).await?;
            tx.commit().await?;
            Ok(apply)
        }

        async fn payments(&self, tenant_id: i64, company_id: Option<i64>) -> StoreResult<Vec<PaymentRecord>> {
            let rows: Vec<(i64, i64, Option<i64>, String, String, String, String, String)> = sqlx::query_as(
                "SELECT id, company_id, document_id, amount, applied, paid_on, method, reference FROM payments \
                 WHERE tenant_id = $1 AND ($2 IS NULL OR company_id = $2) ORDER BY id",
            )
            .bind(tenant_id)
            .bind(company_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(PaymentRecord {
                        id: r.0,
                        company_id: r.1,
                        document_id: r.2,
                        amount: dec(&r.3)?,
                        applied: dec(&r.4)?,
                        paid_on: day(&r.5)?,
                        method: r.6,
                        reference: r.7,
                    })
                })
                .collect()
        }

        async fn credit_applications(&self, tenant_id: i64, company_id: Option<i64>) -> StoreResult<Vec<CreditApplication>> {
            let rows: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT company_id, document_id, amount FROM credit_applications WHERE tenant_id = $1 AND ($2 IS NULL OR company_id = $2) ORDER BY id",
            )
            .bind(tenant_id)
            .bind(company_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(|r| Ok(CreditApplication { company_id: r.0, document_id: r.1, amount: dec(&r.2)? })).collect()
        }
    }
}

sql_backend! {
    impl {
    /// Takes the next value of the tenant's sequence for a document kind and formats it.
    async fn next_number(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        kind: DocumentKind,
        issue_date: &str,
    ) -> StoreResult<String> {
        let (seq, pattern) = Self::take_numbers(tx, tenant_id, kind, 1).await?;
        Ok(format_number(&pattern, seq, issue_year(issue_date)))
    }

    /// Locks a posted (or voided) invoice for a payment or a credit application.
    async fn lock_invoice(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        id: i64,
    ) -> StoreResult<LockedInvoice> {
        let sql = format!(
            "SELECT company_id, kind, status, total FROM documents WHERE tenant_id = $1 AND id = $2{}",
            DB::FOR_UPDATE
        );
        let row: Option<(i64, String, String, String)> = sqlx::query_as::<DB, _>(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        let (company_id, kind, status, total) = row.ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
        let (kind, status) = (doc_kind(&kind)?, doc_status(&status)?);
        if kind != DocumentKind::Invoice || !status.is_posted() {
            return Err(StoreError::Conflict("payments and credit are recorded against posted invoices".into()));
        }
        Ok(LockedInvoice { id, company_id, status, total: dec(&total)? })
    }

    /// What is still owed on an invoice: its total less payments and applied credit.
    async fn open_amount_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        id: i64,
        total: Decimal,
    ) -> StoreResult<Decimal> {
        let paid: Vec<(String,)> = sqlx::query_as::<DB, (String,)>(
            "SELECT applied FROM payments WHERE tenant_id = $1 AND document_id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        let credited: Vec<(String,)> = sqlx::query_as::<DB, (String,)>(
            "SELECT amount FROM credit_applications WHERE tenant_id = $1 AND document_id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        let mut open = total;
        for (a,) in paid.iter().chain(&credited) {
            open -= dec(a)?;
        }
        Ok(open)
    }

    /// The company's credit balance, read inside the caller's transaction.
    async fn credit_balance_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        company_id: i64,
    ) -> StoreResult<Decimal> {
        let payments: Vec<(String, String, Option<String>)> = sqlx::query_as::<DB, _>(
            "SELECT p.amount, p.applied, d.status FROM payments p
             LEFT JOIN documents d ON d.tenant_id = p.tenant_id AND d.id = p.document_id
             WHERE p.tenant_id = $1 AND p.company_id = $2",
        )
        .bind(tenant_id)
        .bind(company_id)
        .fetch_all(&mut **tx)
        .await?;
        let notes: Vec<(String,)> = sqlx::query_as::<DB, (String,)>(
            "SELECT total FROM documents WHERE tenant_id = $1 AND company_id = $2 AND kind = 'credit_note'
               AND credit_reason IN ('run', 'goodwill') AND status <> 'draft'",
        )
        .bind(tenant_id)
        .bind(company_id)
        .fetch_all(&mut **tx)
        .await?;
        let applied: Vec<(String,)> = sqlx::query_as::<DB, (String,)>(
            "SELECT amount FROM credit_applications WHERE tenant_id = $1 AND company_id = $2",
        )
        .bind(tenant_id)
        .bind(company_id)
        .fetch_all(&mut **tx)
        .await?;
        let entries = payments
            .iter()
            .map(|(amount, applied, status)| {
                Ok(ledger::PaymentEntry {
                    amount: dec(amount)?,
                    applied: dec(applied)?,
                    on_voided_invoice: status.as_deref().map(doc_status).transpose()? == Some(DocumentStatus::Void),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let mut note_total = Decimal::ZERO;
        for (t,) in &notes {
            note_total += dec(t)?;
        }
        let mut applied_total = Decimal::ZERO;
        for (a,) in &applied {
            applied_total += dec(a)?;
        }
        Ok(ledger::credit_balance(&entries, note_total, applied_total))
    }

    async fn set_paid_status(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        id: i64,
        status: DocumentStatus,
    ) -> StoreResult<()> {
        sqlx::query::<DB>("UPDATE documents SET status = $3 WHERE tenant_id = $1 AND id = $2 AND status <> 'draft' AND status <> 'void'")
            .bind(tenant_id)
            .bind(id)
            .bind(status.as_str())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Inserts one document (and its lines) as drafts; returns its id.
    async fn insert_document(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        d: &DocumentRecord,
        now: &str,
    ) -> StoreResult<i64> {
        let ids = Self::insert_documents(tx, tenant_id, &[d], now).await?;
        ids.first().copied().ok_or_else(|| StoreError::Corrupt("a document insert returned no id".into()))
    }

    /// Inserts documents (and their lines) as drafts, each set-based from one bound JSON array;
    /// returns their ids in the order of `docs`.
    ///
    /// The rows are inserted in the order of `docs` (the `ORDER BY` on their index), so they
    /// get ascending ids, as inserting them one by one would give. `RETURNING` does not promise
    /// an order: the returned ids are sorted, and each is checked against the company of the
    /// document it is taken for.
    async fn insert_documents(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        docs: &[&DocumentRecord],
        now: &str,
    ) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(docs.len());
        for (n, chunk) in docs.chunks(JsonRows::CHUNK).enumerate() {
            let mut rows = JsonRows::new();
            for (i, d) in chunk.iter().enumerate() {
                rows.push(&(
                    d.period.as_str(),
                    d.company_id,
                    d.kind.as_str(),
                    d.credit_reason.map(CreditReason::as_str),
                    d.currency.as_str(),
                    date_text(d.issue_date),
                    d.due_date.map(date_text),
                    d.subtotal.to_string(),
                    d.tax_total.to_string(),
                    d.total.to_string(),
                    serde_json::to_string(&d.taxes).expect("taxes serialize"),
                    serde_json::to_string(&d.purchase_orders).expect("strings serialize"),
                    d.voids_document_id,
                    i,
                ));
            }
            let sql = format!(
                "INSERT INTO documents (tenant_id, period, company_id, kind, credit_reason, status, number, currency,
                     issue_date, due_date, subtotal, tax_total, total, taxes, purchase_orders, voids_document_id, created_at)
                 SELECT $2, value->>0, CAST(value->>1 AS BIGINT), value->>2, value->>3, 'draft', NULL, value->>4,
                     value->>5, value->>6, value->>7, value->>8, value->>9, value->>10, value->>11,
                     CAST(value->>12 AS BIGINT), $3
                 FROM {}
                 ORDER BY CAST(value->>13 AS BIGINT)
                 RETURNING id, company_id",
                DB::JSON_ROWS
            );
            let mut returned: Vec<(i64, i64)> = sqlx::query_as::<DB, (i64, i64)>(sqlx::AssertSqlSafe(sql))
                .bind(rows.finish())
                .bind(tenant_id)
                .bind(now)
                .fetch_all(&mut **tx)
                .await?;
            returned.sort_unstable();
            if returned.len() != chunk.len()
                || returned.iter().zip(chunk).any(|((_, company), d)| *company != d.company_id)
            {
                return Err(StoreError::Corrupt(format!(
                    "bulk insert of documents (chunk {n}) did not return one id per document in order"
                )));
            }
            ids.extend(returned.into_iter().map(|(id, _)| id));
        }
        let mut rows = JsonRows::new();
        for (d, id) in docs.iter().zip(&ids) {
            for l in &d.lines {
                rows.push(&(
                    *id,
                    l.line_no,
                    l.company_id,
                    l.for_child.as_deref(),
                    l.contract_service_id,
                    l.service_id,
                    l.contract_id,
                    l.period.as_str(),
                    l.kind.as_str(),
                    l.description.as_str(),
                    l.quantity.to_string(),
                    l.unit_price.to_string(),
                    l.amount.to_string(),
                    u8::from(l.taxable),
                    serde_json::to_string(&l.tax_rates).expect("rates serialize"),
                    u8::from(l.stale),
                ));
                if rows.len() >= JsonRows::CHUNK {
                    Self::insert_lines(tx, tenant_id, std::mem::replace(&mut rows, JsonRows::new())).await?;
                }
            }
        }
        if !rows.is_empty() {
            Self::insert_lines(tx, tenant_id, rows).await?;
        }
        Ok(ids)
    }

    /// Inserts document lines given as JSON rows (see `insert_documents`).
    async fn insert_lines(tx: &mut sqlx::Transaction<'_, DB>, tenant_id: i64, rows: JsonRows) -> StoreResult<()> {
        // Booleans travel as 0/1 and are compared, so the SQL is the same on both backends.
        let sql = format!(
            "INSERT INTO document_lines (tenant_id, document_id, line_no, company_id, for_child, contract_service_id,
                 service_id, contract_id, period, kind, description, quantity, unit_price, amount, taxable, tax_rates, stale)
             SELECT $2, CAST(value->>0 AS BIGINT), CAST(value->>1 AS BIGINT), CAST(value->>2 AS BIGINT), value->>3,
                 CAST(value->>4 AS BIGINT), CAST(value->>5 AS BIGINT), CAST(value->>6 AS BIGINT), value->>7, value->>8,
                 value->>9, value->>10, value->>11, value->>12, (CAST(value->>13 AS INTEGER) = 1), value->>14,
                 (CAST(value->>15 AS INTEGER) = 1)
             FROM {}",
            DB::JSON_ROWS
        );
        sqlx::query::<DB>(sqlx::AssertSqlSafe(sql))
            .bind(rows.finish())
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The documents among `ids` with what posting them needs, by id; with `lock`, their rows
    /// are locked until the transaction ends (PostgreSQL; SQLite's write transaction already
    /// excludes other writers).
    async fn post_candidates(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        ids: &[i64],
        lock: bool,
    ) -> StoreResult<std::collections::BTreeMap<i64, PostCandidate>> {
        let mut found = std::collections::BTreeMap::new();
        for rows in JsonRows::chunks(ids, |rows, id| rows.push(&(*id,))) {
            let sql = format!(
                "SELECT id, period, kind, status, issue_date FROM documents
                 WHERE tenant_id = $2 AND id IN (SELECT CAST(value->>0 AS BIGINT) FROM {})
                 ORDER BY id{}",
                DB::JSON_ROWS,
                if lock { DB::FOR_UPDATE } else { "" }
            );
            let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as::<DB, _>(sqlx::AssertSqlSafe(sql))
                .bind(rows)
                .bind(tenant_id)
                .fetch_all(&mut **tx)
                .await?;
            for (id, period, kind, status, issue_date) in rows {
                found.insert(id, PostCandidate { id, period, kind: doc_kind(&kind)?, status: doc_status(&status)?, issue_date });
            }
        }
        Ok(found)
    }

    /// Takes `count` consecutive values of the tenant's sequence for a document kind; returns
    /// the first and the number pattern. The UPDATE locks the sequence row until the
    /// transaction ends, so concurrent posts queue and a rolled-back post gives its values
    /// back: the sequence stays gapless.
    async fn take_numbers(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        kind: DocumentKind,
        count: i64,
    ) -> StoreResult<(i64, String)> {
        sqlx::query::<DB>("INSERT INTO number_sequences (tenant_id, kind, next_value) VALUES ($1, $2, 1) ON CONFLICT (tenant_id, kind) DO NOTHING")
            .bind(tenant_id)
            .bind(kind.as_str())
            .execute(&mut **tx)
            .await?;
        let (first,): (i64,) = sqlx::query_as::<DB, (i64,)>(
            "UPDATE number_sequences SET next_value = next_value + $3 WHERE tenant_id = $1 AND kind = $2 RETURNING next_value - $3",
        )
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
        let column = match kind {
            DocumentKind::CreditNote => "credit_note_number_format",
            DocumentKind::Invoice => "invoice_number_format",
        };
        let (pattern,): (String,) = sqlx::query_as::<DB, (String,)>(sqlx::AssertSqlSafe(format!(
            "SELECT {column} FROM tenants WHERE id = $1"
        )))
        .bind(tenant_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok((first, pattern))
    }

    /// Documents with their lines, in id order (two reads for the lines, as `period_documents`).
    async fn documents_with_lines(&self, tenant_id: i64, ids: &[i64]) -> StoreResult<Vec<DocumentRecord>> {
        let mut docs = self.document_headers(tenant_id, ids).await?;
        let mut by_doc: std::collections::HashMap<i64, Vec<DocumentLineRecord>> = std::collections::HashMap::new();
        let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
        for rows in JsonRows::chunks(&ids, |rows, id| rows.push(&(*id,))) {
            let from = format!(
                "FROM document_lines l
                 WHERE l.tenant_id = $2 AND l.document_id IN (SELECT CAST(value->>0 AS BIGINT) FROM {})
                 ORDER BY l.document_id, l.line_no",
                DB::JSON_ROWS
            );
            let doc_ids: Vec<(i64,)> = sqlx::query_as::<DB, (i64,)>(sqlx::AssertSqlSafe(format!("SELECT l.document_id {from}")))
                .bind(rows.clone())
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
            let cols = LINE_COLUMNS.split(", ").map(|c| format!("l.{}", c.trim())).collect::<Vec<_>>().join(", ");
            let lines: Vec<LineRow> = sqlx::query_as::<DB, LineRow>(sqlx::AssertSqlSafe(format!("SELECT {cols} {from}")))
                .bind(rows)
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
            for ((doc_id,), l) in doc_ids.into_iter().zip(lines) {
                by_doc.entry(doc_id).or_default().push(line(l)?);
            }
        }
        for d in &mut docs {
            d.lines = by_doc.remove(&d.id).unwrap_or_default();
        }
        Ok(docs)
    }
    }
}
