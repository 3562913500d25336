-- Run by Odoo when a database is neutralized (a copy for tests or staging): a copy must
-- never collect money nor accept webhooks with production credentials.
UPDATE gocardless_account
   SET access_token = NULL,
       webhook_secret = NULL,
       has_access_token = FALSE,
       has_webhook_secret = FALSE,
       connection_state = 'unknown';
