-- Migration 3: applications found by 医籍登録番号 (the officers' search matches it exactly) read
-- one index entry instead of every application.

CREATE INDEX applications_license ON applications (license_number);
