-- The outbox (store/outbox.rs): every ES message the SM-SR sends on its
-- own initiative, kept until delivered. event_id is the message's
-- identity (a second write of one event stores nothing); a worker claims
-- due rows by lease with FOR UPDATE SKIP LOCKED and marks each delivered
-- in one statement.
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    interface TEXT NOT NULL,
    name TEXT NOT NULL,
    to_url TEXT,
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms BIGINT NOT NULL,
    delivered_ms BIGINT,
    last_error TEXT,
    gave_up BOOLEAN NOT NULL DEFAULT FALSE,
    lease_owner TEXT,
    lease_until_ms BIGINT
);
CREATE INDEX outbox_due ON outbox(not_before_ms, seq)
    WHERE delivered_ms IS NULL AND NOT gave_up;
