-- The PLMAs operators granted (ES4.SetPLMA): one row per (operator, party
-- authorised, profile type; '' for all types), its functions a JSON list
-- (store/authorisations.rs).
CREATE TABLE IF NOT EXISTS plma (
    owner TEXT NOT NULL,
    grantee TEXT NOT NULL,
    profile_type TEXT NOT NULL DEFAULT '',
    functions TEXT NOT NULL,
    PRIMARY KEY (owner, grantee, profile_type)
);
CREATE INDEX IF NOT EXISTS plma_grantee ON plma(grantee);
