-- Migration 6: card binding. The register records what makes a card the card it issued: the
-- token's serial number and the public key (DER SubjectPublicKeyInfo) of the card's
-- card-authentication key pair, whose private key signs a fresh challenge before renewal or
-- unblocking sends the card anything. Cards of earlier releases have neither.

ALTER TABLE cards ADD COLUMN token_serial TEXT;
ALTER TABLE cards ADD COLUMN card_key {blob};
