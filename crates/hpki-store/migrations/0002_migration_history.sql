-- Migration 2: which migrations a database went through, and when.
-- `sha256` is the SHA-256 of the migration's file as the build that applied it carried it: a
-- later build whose file of the same number differs refuses the database (an applied migration
-- must never change). `applied_at` is NULL for migration 1 of a database made by release 1,
-- which did not record it.

CREATE TABLE hpki_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    applied_at BIGINT
);
