//! The command line's logs, as scripts and log files see them.

use std::process::Command;

/// Logs written to a pipe or a file carry no ANSI colour codes.
#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let dir = std::env::temp_dir().join(format!("unitbill-cli-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unitbill"))
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("cli.db").display()))
        .args(["tenant", "list"])
        .env("UNITBILL_LOG", "debug")
        .output()
        .expect("run unitbill");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("DEBUG"),
        "the debug filter logged: {stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no escape codes: {stderr}");
}
