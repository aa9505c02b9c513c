import type { CliEnv } from './env.js';

/**
 * One CLI command. Its module is imported only when the command runs (or its help is asked
 * for): `vmtd case list` must not pay for loading OpenPGP, the mail parser and the daemon,
 * which is most of a CLI start (~0.9 s of ~1 s measured on the 2-core machine).
 */
export interface Command {
  needsConfig?: boolean;
  /** `vmtd COMMAND --help`: this command's help alone. */
  help(): Promise<string>;
  run(env: CliEnv): Promise<number>;
}

const h = (synopsis: string, text: string): string => `usage: vmtd ${synopsis} [--config FILE]\n\n${text}\n`;
const text = (s: string) => (): Promise<string> => Promise.resolve(s);

export const commands: Record<string, Command> = {
  serve: {
    run: async (env) => (await import('./serve.js')).serve(env),
    help: text(h('serve', 'runs the daemon: SMTP intake, IMAP pollers, outbox worker, scheduler.\nSIGTERM stops it cleanly; SIGHUP (systemctl reload vmtd) rereads the configuration and keys.')),
  },
  init: {
    run: async (env) => (await import('./engine-commands.js')).init(env),
    help: text(h('init', 'creates the data directory, database, data key and team key (idempotent).')),
  },
  ingest: {
    run: async (env) => (await import('./ingest.js')).ingest(env),
    help: text(h('ingest [FILE] [--sender ADDR] [--recipient ADDR]…', 'spools one message from FILE or stdin, as an MTA pipe would; exit 0 once durable,\n75 (tempfail) when it cannot be stored.')),
  },
  tick: {
    run: async (env) => (await import('./engine-commands.js')).tick(env),
    help: text(h('tick [--now ISO-8601]', 'runs the planner once at that time and delivers what is due.')),
  },
  keys: { run: async (env) => (await import('./keys.js')).keysCommand(env), help: async () => (await import('./keys.js')).keysHelp },
  case: { run: async (env) => (await import('./case.js')).caseCommand(env), help: async () => (await import('./case.js')).caseHelp },
  advisory: {
    needsConfig: false,
    run: async (env) => (await import('./advisory.js')).advisoryCommand(env),
    help: text(h('advisory render FILE --format rst|html|osv|cve|csaf', 'renders and validates one advisory offline.')),
  },
  backup: { run: async (env) => (await import('./backup.js')).backup(env), help: async () => (await import('./backup.js')).backupHelp },
  doctor: {
    run: async (env) => (await import('./doctor.js')).doctor(env),
    help: text(h('doctor', 'checks configuration, data directory, database, keys and transport; one line per\nfinding with the fix; exit 1 on any FAIL. Creates and changes nothing.')),
  },
  spool: { run: async (env) => (await import('./spool.js')).spoolCommand(env), help: async () => (await import('./spool.js')).spoolHelp },
  outbox: { run: async (env) => (await import('./outbox.js')).outboxCommand(env), help: async () => (await import('./outbox.js')).outboxHelp },
  publish: { run: async (env) => (await import('./publish.js')).publishCommand(env), help: async () => (await import('./publish.js')).publishHelp },
  project: { run: async (env) => (await import('./project.js')).projectCommand(env), help: async () => (await import('./project.js')).projectHelp },
};
