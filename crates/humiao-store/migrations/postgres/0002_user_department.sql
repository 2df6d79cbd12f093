-- A department liaison (部门联络员) belongs to one department and sees only its import batches.
ALTER TABLE users ADD COLUMN department TEXT;
