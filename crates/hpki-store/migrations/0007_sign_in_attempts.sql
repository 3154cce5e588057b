-- Migration 7: sign-in attempts in flight. An attempt is counted before its password is
-- checked (`pending_logins`, since `pending_since`) and becomes a failure or a success when
-- the check ends: parallel guesses never get more checks than the lockout allows, and parallel
-- correct sign-ins of one account do not lock it. A count left by a process that died is
-- dropped once nothing has been claimed for a minute.

ALTER TABLE officers ADD COLUMN pending_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE officers ADD COLUMN pending_since BIGINT;
