-- Insights: what an admin decided about derived insights (dismissed or resolved, by key), and
-- the insights a run records (corrections beyond the lookback).

CREATE TABLE insight_states (
    tenant_id INTEGER NOT NULL,
    insight_key TEXT NOT NULL,
    status TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, insight_key)
);

CREATE TABLE recorded_insights (
    tenant_id INTEGER NOT NULL,
    insight_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    amount TEXT,
    company_id INTEGER,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, insight_key)
);
