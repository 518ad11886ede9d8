//! `unitbill`: the command line. Thin: it parses flags, opens the store, and calls the engine
//! or the server.

mod bench;
mod cli;
mod config;
mod export_cli;
mod invoice_cli;

use anyhow::Result;
use clap::Parser;
use unitbill::{demo, simulate};

#[tokio::main]
async fn main() -> Result<()> {
    let cli = cli::Cli::parse();
    if matches!(cli.command, cli::Command::Demo(_)) {
        demo::init_logging(cli.log_json);
    } else if matches!(cli.command, cli::Command::Bench(_)) {
        // Per-snapshot, per-request and slow-statement lines would bury the progress and table.
        config::init_logging_with(cli.log_json, "warn,sqlx=error");
    } else {
        config::init_logging(cli.log_json);
    }
    cli::run(cli).await
}
