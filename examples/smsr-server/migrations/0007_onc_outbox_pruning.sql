-- The ONCs operators set (ES4A.SetONC, SGP.02 v4 §3.21): one row per
-- (operator, profile type; '' for all types), the notifications it
-- discards a JSON list of operation names (store/onc.rs).
CREATE TABLE IF NOT EXISTS onc (
    owner TEXT NOT NULL,
    profile_type TEXT NOT NULL DEFAULT '',
    discarded TEXT NOT NULL,
    PRIMARY KEY (owner, profile_type)
);

-- Delivered outbox rows, oldest first, for pruning past the retention
-- (store/outbox_prune.rs).
CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox(delivered_ms)
    WHERE delivered_ms IS NOT NULL;
