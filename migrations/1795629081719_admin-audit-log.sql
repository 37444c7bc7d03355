-- Up Migration
-- Who changed what and when, for every administrator action. Rows are only
-- ever added, in the same transaction as the change they describe.
CREATE TABLE admin_audit_log (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
  -- The token's `sub`.
  actor       VARCHAR(128) NOT NULL,
  -- 'product.create', 'product.restock', ...
  action      VARCHAR(64)  NOT NULL,
  -- No foreign key: the record must outlive what it describes. NULL for actions on no one product.
  product_id  BIGINT,
  -- The product as it was and as it became (NULL before a create).
  before      JSONB,
  after       JSONB,
  -- The X-Request-Id of the request, to find its log lines.
  request_id  VARCHAR(128) NOT NULL
);

CREATE INDEX admin_audit_log_product_idx ON admin_audit_log (product_id, occurred_at);

-- Down Migration
DROP TABLE admin_audit_log;
