-- The ONCs operators set (ES4A.SetONC, SGP.02 v4 §3.21): one row per
-- (operator, profile type; '' for all types), the notifications it
-- discards a JSON list of operation names (store/onc.rs).
CREATE TABLE IF NOT EXISTS onc (
    owner TEXT NOT NULL,
    profile_type TEXT NOT NULL DEFAULT '',
    discarded TEXT NOT NULL,
    PRIMARY KEY (owner, profile_type)
);
