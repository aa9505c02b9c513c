// Versioned schema. Append new migrations; never edit a shipped one.
// Columns named *_sealed hold data sealed with the data key (src/store/seal.ts), never plaintext.

export const migrations: string[] = [
  /* 1: spool, cases, members, keys, messages, outbox, events */ `
  CREATE TABLE spool (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    via TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    rcpt_to TEXT NOT NULL,          -- JSON array of envelope recipients
    size INTEGER NOT NULL,
    raw_sealed BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','done','quarantined')),
    outcome TEXT,                   -- report | case-message | command | bounce | junk
    reason TEXT,                    -- why quarantined: never message content
    case_id TEXT,
    processed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX spool_pending ON spool(state) WHERE state = 'pending';

  CREATE TABLE case_seq (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);

  CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    class TEXT,
    severity TEXT,
    title_sealed BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    embargo TEXT,
    merged_into TEXT,
    reporter TEXT
  );
  CREATE INDEX cases_state ON cases(state);

  CREATE TABLE case_cves (case_id TEXT NOT NULL REFERENCES cases(id), cve TEXT NOT NULL, PRIMARY KEY (case_id, cve));
  CREATE TABLE case_projects (
    case_id TEXT NOT NULL REFERENCES cases(id), project_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'unknown', PRIMARY KEY (case_id, project_id)
  );

  CREATE TABLE members (
    case_id TEXT NOT NULL REFERENCES cases(id),
    email TEXT NOT NULL,            -- lower-cased
    name TEXT,
    role TEXT NOT NULL CHECK (role IN ('coordinator','reporter','expert','project-contact')),
    project_id TEXT,
    fingerprint TEXT,
    added_at TEXT NOT NULL,
    PRIMARY KEY (case_id, email)
  );

  CREATE TABLE keys (
    fingerprint TEXT PRIMARY KEY,   -- upper-case hex
    armored TEXT NOT NULL,
    emails TEXT NOT NULL,           -- JSON array of lower-cased user ID addresses
    source TEXT NOT NULL,           -- team | config | import | mail
    added_at TEXT NOT NULL
  );

  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    spool_id INTEGER REFERENCES spool(id),
    message_id TEXT,
    from_addr TEXT NOT NULL,
    received_at TEXT NOT NULL,
    encrypted INTEGER NOT NULL,
    signature TEXT NOT NULL,        -- good | bad | unknown-key | unsigned
    signer TEXT,
    kind TEXT NOT NULL,             -- report | reply | command | comment
    content_sealed BLOB
  );
  CREATE INDEX messages_case ON messages(case_id);
  CREATE INDEX messages_mid ON messages(message_id);

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    case_id TEXT,
    kind TEXT NOT NULL,             -- ack | relay | notice | answer | advisory | digest | alert
    message_id TEXT NOT NULL,
    rcpt TEXT NOT NULL,
    raw BLOB NOT NULL,              -- composed mail: encrypted to rcpt, or free of case content
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sending','sent','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    source_message INTEGER          -- messages.id that this relays, if any
  );
  CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
  CREATE INDEX outbox_mid ON outbox(message_id);

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    case_id TEXT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL            -- JSON; never message content
  );
  CREATE INDEX events_case ON events(case_id);
  CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER events_append_only_d BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

  CREATE TABLE signatures_seen (digest TEXT PRIMARY KEY, case_id TEXT, at TEXT NOT NULL);
  `,
  /* 2: credits, stakeholders to notify, advisory revisions */ `
  CREATE TABLE case_credits (
    case_id TEXT NOT NULL REFERENCES cases(id),
    email TEXT NOT NULL,            -- who set it: a reporter's own credit is keyed by the reporter
    text TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'REPORTER',
    PRIMARY KEY (case_id, email, text)
  );
  CREATE TABLE case_stakeholders (
    case_id TEXT NOT NULL REFERENCES cases(id),
    stakeholder TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (case_id, stakeholder)
  );
  CREATE TABLE advisories (
    case_id TEXT NOT NULL REFERENCES cases(id),
    revision INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft','approved','withdrawn','published')),
    yaml_sealed BLOB NOT NULL,
    created_at TEXT NOT NULL,
    approved_at TEXT,
    approved_by TEXT,
    PRIMARY KEY (case_id, revision)
  );
  ALTER TABLE cases ADD COLUMN leaked_at TEXT;
  ALTER TABLE cases ADD COLUMN embargo_override TEXT;
  `,
  /* 3: notices: one row per notice the scheduler plans or sends (its key makes sending idempotent) */ `
  CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    case_id TEXT,
    kind TEXT NOT NULL,             -- pre-disclosure | update | publish | abnormal | short-notice | digest
    stakeholder TEXT,
    embargo TEXT,                   -- the embargo this notice announced (pre-disclosure, update)
    due_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned','sent','failed','cancelled')),
    sent_at TEXT,
    outbox_id INTEGER
  );
  CREATE INDEX notices_case ON notices(case_id);
  CREATE TABLE advisory_patches (
    case_id TEXT NOT NULL REFERENCES cases(id),
    revision INTEGER NOT NULL,
    name TEXT NOT NULL,             -- safe file name: letters, digits, '.', '-', '_'
    content_sealed BLOB NOT NULL,
    PRIMARY KEY (case_id, revision, name)
  );
  `,
  /* 4: a relay's encrypted data stored once, shared by the members' queued copies */ `
  CREATE TABLE payloads (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
  ALTER TABLE outbox ADD COLUMN payload_id INTEGER REFERENCES payloads(id);
  ALTER TABLE outbox ADD COLUMN pkesk BLOB;
  `,
  /* 5: IMAP messages already spooled, so a restart or reconnect never spools one twice */ `
  CREATE TABLE imap_seen (
    account TEXT NOT NULL,          -- user@host/mailbox
    uidvalidity TEXT NOT NULL,
    uid INTEGER NOT NULL,
    spool_id INTEGER NOT NULL,
    PRIMARY KEY (account, uidvalidity, uid)
  );
  `,
  /* 6: large blobs live in files of their own (data/spool/, data/blobs/), named here; the blob column is then empty */ `
  ALTER TABLE spool ADD COLUMN raw_file TEXT;
  ALTER TABLE messages ADD COLUMN content_file TEXT;
  ALTER TABLE payloads ADD COLUMN file TEXT;
  CREATE INDEX outbox_rcpt ON outbox(rcpt, created_at); -- answer rate limits look up by recipient
  `,
  /* 7: trust: pinned member keys, every authenticated command recorded, ciphertexts seen */ `
  -- pinned: the member's fingerprint authorizes their commands (configured people, experts a
  -- coordinator added with a key, reporters once their own signed mail pinned it). A reporter's
  -- key learned from mail only serves to encrypt to them until then.
  ALTER TABLE members ADD COLUMN pinned INTEGER NOT NULL DEFAULT 1;
  UPDATE members SET pinned = 0 WHERE role = 'reporter';
  -- signatures_seen.digest is now the identity of what was signed (pgp/verify.ts signatureIdentity);
  -- outcome: applied | failed | refused.
  ALTER TABLE signatures_seen ADD COLUMN outcome TEXT;
  ALTER TABLE signatures_seen ADD COLUMN spool_id INTEGER;
  -- The first sighting of each encrypted payload (SHA-256 of its session key): decrypted into one case only.
  CREATE TABLE payloads_seen (
    digest TEXT PRIMARY KEY,
    case_id TEXT,
    sender TEXT,
    spool_id INTEGER NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX cases_reporter ON cases(reporter, created_at);
  CREATE INDEX events_kind ON events(kind, at);
  CREATE INDEX cases_created ON cases(created_at); -- the global case-opening limit counts the last hour
  `,
  /* 8: the project registry (projects as data: seeded from config, managed by CLI and signed mail) */ `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,            -- lower-case: [a-z0-9][a-z0-9._-]*
    name TEXT NOT NULL,
    policy_agreed_at TEXT,          -- YYYY-MM-DD the project agreed to the disclosure policy
    active INTEGER NOT NULL DEFAULT 1,
    fixes_url TEXT,                 -- where its fixes land (repository URL)
    source TEXT NOT NULL,           -- config | cli | mail: who added it
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE project_contacts (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    email TEXT NOT NULL,            -- lower-cased
    name TEXT,
    fingerprint TEXT,               -- pinned when added (config: the configured key file's; null when unreadable)
    source TEXT NOT NULL,           -- config | cli | mail
    added_at TEXT NOT NULL,
    PRIMARY KEY (project_id, email)
  );
  `,
  /* 9: when each advisory revision was published (errata: a later approved revision is published too) */ `
  ALTER TABLE advisories ADD COLUMN published_at TEXT;
  UPDATE advisories SET published_at = (SELECT COALESCE(n.sent_at, n.due_at) FROM notices n WHERE n.key = 'publish:' || advisories.case_id)
    WHERE state = 'published';
  `,
  /* 10: a case's kind: a vulnerability (default) or an incident (compromise of a project's infrastructure) */ `
  ALTER TABLE cases ADD COLUMN kind TEXT NOT NULL DEFAULT 'vulnerability' CHECK (kind IN ('vulnerability', 'incident'));
  `,
  /* 11: indexes for a database of years (issue 16): each planner pass, digest, project record and scrape reads what concerns it, not the history */ `
  -- The calendar catch-up: each case's last calendar event, its method and date, from the index alone.
  CREATE INDEX events_calendar ON events(kind, case_id, id, json_extract(detail, '$.method'), json_extract(detail, '$.embargo')) WHERE kind = 'calendar';
  -- A case's events of one kind (X-PROJECT-STATUS commands, cve-requested) without reading its others.
  CREATE INDEX events_case_kind ON events(case_id, kind, at);
  -- A project's cases (project show, the digest's slow projects); a project contact's first message.
  CREATE INDEX case_projects_project ON case_projects(project_id);
  CREATE INDEX messages_case_from ON messages(case_id, from_addr, kind, received_at);
  -- Quarantine counts and lists (metrics, digest, case list) without reading the spooled mail.
  CREATE INDEX spool_state ON spool(state, processed_at);
  -- The planner's candidates: approved revisions, stakeholders told.
  CREATE INDEX advisories_state ON advisories(state, case_id, revision);
  CREATE INDEX notices_kind_state ON notices(kind, state, case_id);
  `,
];
