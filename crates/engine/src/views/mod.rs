//! Reads for the edge (HTTP API, web UI, CLI): what a tenant has, as the store records it.
//! Each view is a thin use case over one store read, so that the edge calls the engine only;
//! the record types are the store's, re-exported by `unitbill_store`.

mod invoices;
mod setup;
mod tenants;
mod usage;
