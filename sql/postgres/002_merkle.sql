-- Findings Ledger, PostgreSQL: the per-tenant Merkle tree (RFC 9162) and its signed checkpoints (docs/anchoring.md).
-- Append-only like ledger_events; every key begins with tenant_id; no foreign key crosses tenants.

-- One row per leaf, in anchoring order. node_hashes holds every complete node this leaf closed,
-- bottom-up: the leaf hash (level 0), then one hash per level it completed (leaf i closes as many
-- levels as i has trailing 1 bits). Node (level, index) therefore lives in the row of leaf
-- (index + 1) * 2^level - 1 at byte offset 32 * level: a proof is one indexed read of O(log n) rows.
CREATE TABLE ledger_merkle_leaves (
    tenant_id   text   NOT NULL,
    leaf_index  bigint NOT NULL CHECK (leaf_index >= 0),
    event_id    uuid   NOT NULL,
    chain_id    uuid   NOT NULL,  -- the event's chain and sequence, so a verifier names a leaf whose event is gone
    sequence    bigint NOT NULL,
    node_hashes bytea  NOT NULL CHECK (length(node_hashes) >= 32 AND length(node_hashes) % 32 = 0),
    PRIMARY KEY (tenant_id, leaf_index)
);

-- An event is a leaf at most once (two anchorers can never both append it).
CREATE UNIQUE INDEX ledger_merkle_leaves_event ON ledger_merkle_leaves (tenant_id, event_id);

-- One row per checkpoint. Leaves [previous_tree_size, tree_size) were appended with it, in the
-- same transaction. tx_horizon: every event of the tenant with tx_id below it is a leaf of this
-- tree or an earlier one (the anchorer's lower bound for pending events).
CREATE TABLE ledger_merkle_roots (
    tenant_id          text     NOT NULL,
    tree_size          bigint   NOT NULL CHECK (tree_size > 0),
    root_hash          char(64) NOT NULL,
    previous_tree_size bigint   NOT NULL CHECK (previous_tree_size >= 0),
    previous_root_hash char(64) NOT NULL,
    first_leaf_index   bigint   NOT NULL,
    last_leaf_index    bigint   NOT NULL,
    tx_horizon         xid8     NOT NULL,
    created_at_us      bigint   NOT NULL,  -- microseconds since the epoch
    note               text     NOT NULL,  -- the C2SP signed note of the tlog-checkpoint
    PRIMARY KEY (tenant_id, tree_size),
    CHECK (previous_tree_size < tree_size AND first_leaf_index = previous_tree_size AND last_leaf_index = tree_size - 1)
);

-- No fork: at most one checkpoint extends any tree size.
CREATE UNIQUE INDEX ledger_merkle_roots_previous ON ledger_merkle_roots (tenant_id, previous_tree_size);

CREATE TRIGGER ledger_merkle_leaves_append_only
    BEFORE UPDATE OR DELETE ON ledger_merkle_leaves
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_merkle_leaves_no_truncate
    BEFORE TRUNCATE ON ledger_merkle_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_merkle_roots_append_only
    BEFORE UPDATE OR DELETE ON ledger_merkle_roots
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_merkle_roots_no_truncate
    BEFORE TRUNCATE ON ledger_merkle_roots
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
