-- Migration 4: issuance integrity. Each end-entity certificate records the key it certifies
-- (SHA-256 of its DER SubjectPublicKeyInfo, hex): a key is certified once, ever, by any CA of
-- the store, which the unique index enforces even between two servers. It also records what it
-- was issued for (`application/ID`, `card/ID`; none when it was handed to the requester at
-- once) and when that record took it (`linked_at`): a certificate issued for a record and
-- never linked is found and revoked by recovery (`hpki ca recover`). Certificates recorded by
-- earlier releases have none of the three; `hpki ca recover` fills in their key hashes.
--
-- An application being issued is claimed first (`issuing_claim`, `issuing_since`), so that of
-- parallel issue requests one signs and the others are refused before anything is signed.

ALTER TABLE certificates ADD COLUMN spki_sha256 TEXT;
ALTER TABLE certificates ADD COLUMN issued_for TEXT;
ALTER TABLE certificates ADD COLUMN linked_at BIGINT;
CREATE UNIQUE INDEX certificates_spki ON certificates (spki_sha256);
CREATE INDEX certificates_issued_for ON certificates (issued_for, linked_at);
ALTER TABLE applications ADD COLUMN issuing_claim TEXT;
ALTER TABLE applications ADD COLUMN issuing_since BIGINT;
