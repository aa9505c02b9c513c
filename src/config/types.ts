/** A person with an OpenPGP key, as listed in the configuration. */
export interface KeyedContact {
  name: string;
  email: string;
  /** Path to an armored public key, resolved against the config file's folder. */
  key?: string;
}

export interface Project {
  id: string;
  name: string;
  contacts: KeyedContact[];
}

export interface Stakeholder extends KeyedContact {
  id: string;
  /** Calendar days of notice before the embargo (default 7); unused when noticeBusinessDays is set. */
  noticeDays: number;
  /** Business days (Monday–Friday, UTC) of notice, instead of noticeDays. */
  noticeBusinessDays?: number;
  maxDays: number;
  subjectPrefix: string;
}

export interface ImapMailbox {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  /** The password: as written, or read from passFile at load. */
  pass: string;
  /** Where the password was read from (resolved path), when it came from a file. */
  passFile?: string;
  mailbox: string;
  /** What to do with a message once it is safely spooled. */
  after: 'flag' | 'move' | 'delete';
  moveTo: string;
}

export interface Config {
  /** Absolute path of the file this configuration was read from (or of the embedded default). */
  file: string;
  instance: {
    name: string;
    domain: string;
    intake: string;
    separator: string;
    caseIdPrefix: string;
    dataDir: string;
    publicDir: string;
    /** URL at which publicDir is served (security.txt, CSAF, WKD links); default https://DOMAIN/ */
    publicUrl?: string;
  };
  /** maxBacklog: unprocessed spooled messages beyond which new mail gets 451 (the sender's MTA retries later). */
  smtp: { host: string; port: number; maxMessageBytes: number; maxClients: number; maxBacklog: number };
  delivery: {
    transport: 'maildir' | 'smtp';
    maildir: string;
    /** pass: as written, or read from passFile (resolved path) at load. */
    smtp: { host: string; port: number; secure: boolean; user?: string; pass?: string; passFile?: string };
    retryHorizonHours: number;
  };
  imap: ImapMailbox[];
  policy: {
    maxEmbargoDays: number;
    /** Days before the limit (report + maxEmbargoDays) when the project's contacts and the coordinators are reminded, each once. */
    reminderDays: number[];
    /** At the limit without X-EMBARGO-OVERRIDE: alert everyone involved, or publish the approved advisory (alert when none is approved). */
    atLimit: 'alert' | 'publish';
    commandMaxAgeHours: number;
    protectSubject: boolean;
    requireEncryptedReports: boolean;
    ackPerSenderPerHour: number;
    /** New cases one sender address may open in an hour; more are quarantined (releasable), coordinators told once. */
    casesPerSenderPerHour: number;
    /** New cases all senders together may open in an hour; same treatment. */
    casesPerHour: number;
    echoToSender: boolean;
    publishTimeline: boolean;
    defaultDisclosureTime: string;
    /** After X-LEAKED, disclosure moves to the leak time + this many hours (0: at once), or stays earlier. */
    leakGraceHours: number;
  };
  coordinators: KeyedContact[];
  /** The CNA X-CVE-REQUEST writes to (keyFile resolved at load), and the assigner of published CVE records. */
  cve?: {
    /** v4 UUID of the CNA organisation that assigns the CVEs (cveMetadata.assignerOrgId). */
    assignerOrgId?: string;
    assignerShortName?: string;
    cna?: { name: string; email: string; keyFile?: string };
  };
  projects: Project[];
  stakeholders: Stakeholder[];
  publicLists: string[];
  schedule: { tick: string; digest: string; timezone: string };
  /** Prometheus text-format metrics over HTTP, on loopback by default. */
  metrics: { enabled: boolean; host: string; port: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** templatesDir: the team's templates (advisory/, notices/), relative to the config file; default the shipped templates/. */
  advisories?: { templatesDir?: string };
}
