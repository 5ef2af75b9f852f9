-- Roles held within one scope of a policy's domain ("editor in org:acme").
-- Cascading from users: a deleted user's grants go with it (the store also
-- deletes them explicitly, in the same transaction), so a user re-created
-- under the name holds none of them.
CREATE TABLE scoped_roles (
    username_key TEXT NOT NULL REFERENCES users (username_key) ON DELETE CASCADE,
    domain       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    role         TEXT NOT NULL,
    PRIMARY KEY (username_key, domain, scope, role)
);
