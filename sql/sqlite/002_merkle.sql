-- Findings Ledger, embedded SQLite: the per-tenant Merkle tree (RFC 9162) and its signed checkpoints (docs/anchoring.md).
-- Same columns and keys as sql/postgres/002; the pending-event bound is a position (one writer process).

-- One row per leaf; node_hashes = the leaf hash then every node it completed, bottom-up
-- (see sql/postgres/002_merkle.sql for the addressing).
CREATE TABLE ledger_merkle_leaves (
    tenant_id   TEXT    NOT NULL,
    leaf_index  INTEGER NOT NULL CHECK (leaf_index >= 0),
    event_id    TEXT    NOT NULL,
    chain_id    TEXT    NOT NULL,
    sequence    INTEGER NOT NULL,
    node_hashes BLOB    NOT NULL CHECK (length(node_hashes) >= 32 AND length(node_hashes) % 32 = 0),
    PRIMARY KEY (tenant_id, leaf_index)
) WITHOUT ROWID;

CREATE UNIQUE INDEX ledger_merkle_leaves_event ON ledger_merkle_leaves (tenant_id, event_id);

-- position_horizon: every event of the tenant with position below it is a leaf.
CREATE TABLE ledger_merkle_roots (
    tenant_id          TEXT    NOT NULL,
    tree_size          INTEGER NOT NULL CHECK (tree_size > 0),
    root_hash          TEXT    NOT NULL,
    previous_tree_size INTEGER NOT NULL CHECK (previous_tree_size >= 0),
    previous_root_hash TEXT    NOT NULL,
    first_leaf_index   INTEGER NOT NULL,
    last_leaf_index    INTEGER NOT NULL,
    position_horizon   INTEGER NOT NULL,
    created_at_us      INTEGER NOT NULL,
    note               TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, tree_size),
    CHECK (previous_tree_size < tree_size AND first_leaf_index = previous_tree_size AND last_leaf_index = tree_size - 1)
) WITHOUT ROWID;

CREATE UNIQUE INDEX ledger_merkle_roots_previous ON ledger_merkle_roots (tenant_id, previous_tree_size);

CREATE TRIGGER ledger_merkle_leaves_no_update BEFORE UPDATE ON ledger_merkle_leaves
BEGIN
    SELECT RAISE(ABORT, 'ledger_merkle_leaves is append-only: UPDATE refused');
END;

CREATE TRIGGER ledger_merkle_leaves_no_delete BEFORE DELETE ON ledger_merkle_leaves
BEGIN
    SELECT RAISE(ABORT, 'ledger_merkle_leaves is append-only: DELETE refused');
END;

CREATE TRIGGER ledger_merkle_roots_no_update BEFORE UPDATE ON ledger_merkle_roots
BEGIN
    SELECT RAISE(ABORT, 'ledger_merkle_roots is append-only: UPDATE refused');
END;

CREATE TRIGGER ledger_merkle_roots_no_delete BEFORE DELETE ON ledger_merkle_roots
BEGIN
    SELECT RAISE(ABORT, 'ledger_merkle_roots is append-only: DELETE refused');
END;
