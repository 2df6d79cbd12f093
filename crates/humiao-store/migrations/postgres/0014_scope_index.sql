-- A director's children: the grid they live in and the birth dates of minors, from one index
-- (scoped queries compare a grid by equality). Keep in step with sqlite/0014_scope_index.sql.
CREATE INDEX persons_residence_birth ON persons (residence_grid, birth_date);
