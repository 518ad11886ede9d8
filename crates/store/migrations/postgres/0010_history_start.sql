-- The tenant's history start when an admin sets it (NULL: the first day of the month 24
-- months before the tenant was created). No usage before it is accepted or synced.
ALTER TABLE tenants ADD COLUMN history_start TEXT;
