-- Web sessions kept server-side, and failed sign-in counters shared by every process.
--
-- A session row is found by the SHA-256 of the secret in the browser's cookie (the secret
-- itself is never stored), so a database dump does not let anyone sign in. Expiry is unix
-- seconds (an INTEGER, so expired rows can be pruned with one comparison).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    user_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at TEXT,
    FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);

-- One row per throttled key: `account` keys are "tenant slug|email" as typed (lowercased),
-- whether or not they exist, so a refusal reads the same for a real and a made-up account;
-- `address` keys are client IP addresses. Times are unix seconds.
CREATE TABLE login_failures (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
