// The configuration's JSON Schema: one place that says what each key accepts and its default.
// Validation (src/config/load.ts) fills defaults and turns violations into path-precise messages.

const email = { type: 'string', pattern: '^[^@\\s<>]+@[^@\\s<>]+$' } as const;
const contact = {
  type: 'object',
  required: ['name', 'email'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1 }, email, key: { type: 'string', minLength: 1 } },
} as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['instance'],
  properties: {
    instance: {
      type: 'object',
      additionalProperties: false,
      required: ['domain'],
      properties: {
        name: { type: 'string', default: 'Security Team' },
        domain: { type: 'string', pattern: '^[A-Za-z0-9.-]+$' },
        intake: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', default: 'security' },
        separator: { type: 'string', enum: ['+', '-', '_', '='], default: '+' },
        caseIdPrefix: { type: 'string', pattern: '^[A-Z][A-Z0-9]{0,15}$', default: 'SEC' },
        dataDir: { type: 'string', default: '../data' },
        publicDir: { type: 'string', default: '../data/public' },
        publicUrl: { type: 'string', pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' },
      },
    },
    smtp: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 2525 },
        maxMessageBytes: { type: 'integer', minimum: 1024, default: 26214400 },
        maxClients: { type: 'integer', minimum: 1, default: 100 },
        maxBacklog: { type: 'integer', minimum: 1, default: 2000 },
      },
    },
    delivery: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        transport: { type: 'string', enum: ['maildir', 'smtp'], default: 'maildir' },
        maildir: { type: 'string', default: '../data/outgoing' },
        smtp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            host: { type: 'string', default: '127.0.0.1' },
            port: { type: 'integer', minimum: 1, maximum: 65535, default: 25 },
            secure: { type: 'boolean', default: false },
            user: { type: 'string' },
            pass: { type: 'string' },
            /** A file holding the password (e.g. $CREDENTIALS_DIRECTORY/smtp-pass from systemd's LoadCredential=), instead of pass. */
            passFile: { type: 'string', minLength: 1 },
          },
        },
        retryHorizonHours: { type: 'number', exclusiveMinimum: 0, default: 120 },
      },
    },
    imap: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['host', 'user'],
        properties: {
          host: { type: 'string' },
          port: { type: 'integer', minimum: 1, maximum: 65535, default: 993 },
          secure: { type: 'boolean', default: true },
          user: { type: 'string' },
          // pass or passFile (a file holding it, e.g. $CREDENTIALS_DIRECTORY/imap-pass): load.ts requires one.
          pass: { type: 'string' },
          passFile: { type: 'string', minLength: 1 },
          mailbox: { type: 'string', default: 'INBOX' },
          after: { type: 'string', enum: ['flag', 'move', 'delete'], default: 'flag' },
          moveTo: { type: 'string', default: 'vmtd-spooled' },
        },
      },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // The centre's published disclosure limit (days after the report); see reminderDays and atLimit.
        maxEmbargoDays: { type: 'integer', minimum: 1, default: 60 },
        reminderDays: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [14, 7, 2] },
        atLimit: { type: 'string', enum: ['alert', 'publish'], default: 'alert' },
        commandMaxAgeHours: { type: 'number', exclusiveMinimum: 0, default: 72 },
        protectSubject: { type: 'boolean', default: true },
        requireEncryptedReports: { type: 'boolean', default: false },
        ackPerSenderPerHour: { type: 'integer', minimum: 0, default: 20 },
        casesPerSenderPerHour: { type: 'integer', minimum: 1, default: 10 },
        casesPerHour: { type: 'integer', minimum: 1, default: 200 },
        echoToSender: { type: 'boolean', default: false },
        publishTimeline: { type: 'boolean', default: false },
        defaultDisclosureTime: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '15:00' },
        leakGraceHours: { type: 'number', minimum: 0, maximum: 720, default: 0 },
      },
    },
    coordinators: { type: 'array', items: contact, default: [] },
    // CVE: the CNA that X-CVE-REQUEST writes to, and the assigner the published CVE records name
    cve: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        assignerOrgId: { type: 'string', pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$' },
        assignerShortName: { type: 'string', minLength: 2, maxLength: 32 },
        cna: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'email'],
          properties: { name: { type: 'string', minLength: 1 }, email, keyFile: { type: 'string', minLength: 1 } },
        },
      },
    },
    projects: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
          name: { type: 'string' },
          contacts: { type: 'array', items: contact, default: [] },
        },
      },
    },
    stakeholders: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'email'],
        properties: {
          ...contact.properties,
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
          // noticeDays (calendar days, default 7) or noticeBusinessDays (Monday–Friday), not both: checked at load
          noticeDays: { type: 'integer', minimum: 0 },
          noticeBusinessDays: { type: 'integer', minimum: 1 },
          maxDays: { type: 'integer', minimum: 1, default: 14 },
          subjectPrefix: { type: 'string', pattern: '^[^\\r\\n]*$', default: '' },
        },
      },
    },
    publicLists: { type: 'array', items: email, default: [] },
    schedule: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        tick: { type: 'string', default: '* * * * *' },
        digest: { type: 'string', default: '0 8 * * *' },
        timezone: { type: 'string', default: 'UTC' },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 9465 },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
    advisories: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // holds advisory/ and notices/; relative to the config file; a file missing there is taken from the shipped templates/
        templatesDir: { type: 'string', minLength: 1 },
      },
    },
  },
} as const;
