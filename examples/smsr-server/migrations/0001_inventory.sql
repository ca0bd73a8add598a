-- The inventory of the PostgreSQL store (store/postgres.rs): the same
-- tables as the SQLite store, plus the queue's lease columns. Applied once,
-- in a transaction, recorded in schema_version.

CREATE TABLE eis (
    eid TEXT PRIMARY KEY,
    eum_id TEXT NOT NULL,
    platform_type TEXT NOT NULL,
    json TEXT NOT NULL
);

CREATE TABLE secrets (
    eid TEXT PRIMARY KEY REFERENCES eis(eid),
    msisdn TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX secrets_msisdn ON secrets(msisdn);

-- SCP80 counters (ETSI TS 102 225 §5.1.1), handed out by one
-- INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING.
CREATE TABLE counters (
    eid TEXT NOT NULL,
    key TEXT NOT NULL,
    value BIGINT NOT NULL CHECK (value >= 0),
    PRIMARY KEY (eid, key)
);

CREATE TABLE batches (
    id BIGSERIAL PRIMARY KEY,
    requester TEXT NOT NULL,
    function TEXT NOT NULL,
    refused BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- The queue. An instance works an operation while it holds its lease
-- (lease_owner until lease_until_ms); a dead instance's lease expires.
CREATE TABLE operations (
    id BIGSERIAL PRIMARY KEY,
    eid TEXT NOT NULL,
    batch BIGINT REFERENCES batches(id),
    requester TEXT NOT NULL,
    function TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    result TEXT,
    status TEXT,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT
);
CREATE INDEX operations_pending ON operations(eid, id) WHERE state <> 'done';
CREATE INDEX operations_batch ON operations(batch, status);

-- The audit trail (SGP.02 §5.1.1.3.12) is append-only: no UPDATE, DELETE
-- or TRUNCATE, whoever asks.
CREATE TABLE audit (
    seq BIGSERIAL PRIMARY KEY,
    eid TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX audit_eid ON audit(eid, seq);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
