-- Up Migration
-- A purchase given up for good: its reservation was released, so its order
-- must never be written after all (a commit whose reply was lost, retried or
-- still running when the purchase was compensated). The commit checks this
-- row under the product's row lock, and the void takes that same lock before
-- it looks for the order, so exactly one of the two wins.
CREATE TABLE purchase_voids (
  tracking_id UUID        PRIMARY KEY,
  voided_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE purchase_voids;
