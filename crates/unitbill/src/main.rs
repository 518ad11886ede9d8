//! `unitbill`: the command line. Thin: it parses flags, opens the store, and calls the engine
//! or the server.

mod bench;
mod cli;
mod config;
mod demo;
mod invoice_cli;

use anyhow::Result;
use clap::Parser;

#[tokio::main]
async fn main() -> Result<()> {
    let cli = cli::Cli::parse();
    config::init_logging(cli.log_json);
    cli::run(cli).await
}
