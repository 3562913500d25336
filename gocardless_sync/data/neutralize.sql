-- Run by Odoo when a database is neutralized (a copy for tests or staging): a copy must
-- never collect money nor accept webhooks with production credentials.
UPDATE gocardless_account
   SET access_token = NULL,
       webhook_secret = NULL,
       connection_state = 'unknown';
