// The database layout and its forward migrations. `PRAGMA user_version` is the schema version; each
// migration takes the file from version i to i + 1 inside one transaction. docs/operations.md shows it.

/** MIGRATIONS[i] takes a database from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    key     TEXT PRIMARY KEY,          -- the name lower-cased: unique case-insensitively
    name    TEXT NOT NULL,             -- its owner's spelling
    salt    BLOB NOT NULL,
    hash    BLOB NOT NULL,             -- scrypt(password, salt)
    cost    INTEGER NOT NULL,          -- scrypt N, r, p used for this hash
    block   INTEGER NOT NULL,
    par     INTEGER NOT NULL,
    created INTEGER NOT NULL           -- ms since the epoch
  ) WITHOUT ROWID;
  CREATE TABLE messages (
    id     INTEGER PRIMARY KEY,        -- grows in the order messages were sent; pages history
    room   TEXT NOT NULL,
    sender TEXT NOT NULL,
    ts     INTEGER NOT NULL,           -- ms since the epoch
    text   TEXT NOT NULL
  );
  CREATE INDEX messages_by_room ON messages (room, id);
  CREATE TABLE mailbox (
    id        INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,           -- accounts.key of the registered user it waits for
    sender    TEXT NOT NULL,
    to_name   TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    text      TEXT NOT NULL
  );
  CREATE INDEX mailbox_by_recipient ON mailbox (recipient, id);
  `,
];
