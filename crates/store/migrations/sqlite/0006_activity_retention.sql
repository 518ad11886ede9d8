-- How long the daily activity log is kept (NULL: keep everything, the default).
ALTER TABLE tenants ADD COLUMN activity_retention_days INTEGER;
