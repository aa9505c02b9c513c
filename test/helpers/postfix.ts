// A real Postfix for tests (Debian `postfix`): a throwaway config and queue directory, its smtpd on
// a loopback port, no chroot, its log in a file. Needs root (Postfix's master runs as root and
// hands the work to its unprivileged `postfix` user).
//
// Two things make a hand-built instance fail in silence, so they are set here on purpose:
//  - Postfix logs to syslog unless stderr is a terminal, and a container has no /dev/log: every
//    fatal error vanishes. `maillog_file` (with `maillog_file_prefixes` allowing it, and the
//    `postlog` service in master.cf) puts the log in DIR/maillog, which errors here quote.
//  - smtpd opens `local_recipient_maps` (default `proxy:unix:passwd.byname $alias_maps`) before
//    it greets; when it cannot reach the proxymap service (no `proxymap` line in master.cf, or a
//    daemon that lost MAIL_CONFIG through `import_environment` and so reads /etc/postfix and
//    /var/spool/postfix, where no master runs) it retries every few seconds and never says 220:
//    the TCP connection is accepted and then nothing happens. So: no local delivery, no local or
//    alias maps, and the services smtpd and the queue manager talk to are all in master.cf.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const postfixBin = ['/usr/sbin/postfix', '/usr/local/sbin/postfix'].find((p) => existsSync(p));

function hasUser(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

export const hasPostfix = !!postfixBin && process.getuid?.() === 0 && hasUser('postfix');

export interface PostfixOptions {
  /** The loopback port its smtpd listens on (the MX's port 25 in production). */
  port: number;
  /** main.cf lines as an admin writes them; `/etc/postfix/` is rewritten to the throwaway config directory. */
  main: string;
  /** Files of the config directory (lookup tables), by name; the same rewrite applies. */
  files?: Record<string, string>;
  /** master.cf lines added after the standard services (e.g. the README's pipe transport); same rewrite. */
  master?: string;
}

export interface Postfix {
  port: number;
  dir: string;
  /** The mail log so far (for assertions and failure messages). */
  log(): string;
  /** `postfix flush`: retries deferred mail now. */
  flush(): void;
  /** Stops the master and its children (forcibly if they do not go) and removes the directory. */
  stop(): void;
}

function masterCf(port: number): string {
  // The columns: service type private unpriv chroot wakeup maxproc command. chroot is `n`
  // everywhere: a chroot would need copies of /etc files inside the throwaway queue directory.
  return `127.0.0.1:${port} inet n - n - - smtpd
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
`;
}

export function startPostfix(opts: PostfixOptions): Postfix {
  if (!postfixBin) throw new Error('postfix is not installed');
  const bin = postfixBin;
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-postfix-'));
  // The postfix user must reach data/ (master.lock) and the queue by their absolute paths.
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  const maillog = join(dir, 'maillog');
  for (const d of [etc, queue, data]) mkdirSync(d);
  const uid = Number(spawnSync('id', ['-u', 'postfix']).stdout.toString().trim());
  chownSync(data, uid, 0);
  const here = (s: string) => s.replaceAll('/etc/postfix/', `${etc}/`);
  writeFileSync(
    join(etc, 'main.cf'),
    `# throwaway instance (test/helpers/postfix.ts)
compatibility_level = 2
queue_directory = ${queue}
data_directory = ${data}
maillog_file = ${maillog}
maillog_file_prefixes = ${dir}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.org
myorigin = $myhostname
# An MX that delivers nothing locally.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
# The test's client connects from 127.0.0.1 like any host on the Internet: not a trusted network.
mynetworks = 127.0.0.2/32
smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
# No DNS in tests: next hops are [address]:port, looked up (if ever) in /etc/hosts.
smtp_dns_support_level = disabled
smtp_host_lookup = native
# Retry deferred mail within the test's patience.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
${here(opts.main)}
`,
  );
  writeFileSync(join(etc, 'master.cf'), masterCf(opts.port) + here(opts.master ?? ''));
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(etc, name), here(text));

  const log = () => {
    try {
      return readFileSync(maillog, 'utf8');
    } catch {
      return '';
    }
  };
  const run = (args: string[]) => spawnSync(bin, ['-c', etc, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  const masterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(queue, 'pid', 'master.pid'), 'utf8').trim());
      return pid > 1 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  let stopped = false;
  const pf: Postfix = {
    port: opts.port,
    dir,
    log,
    flush() {
      run(['flush']);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      const pid = masterPid();
      // `postfix stop` waits up to 5 s for the master, then kills its process group.
      run(['stop']);
      if (pid && alive(pid)) {
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, 'SIGKILL'); // -pid: the master leads its own process group
          } catch {
            // already gone
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // `postfix start` checks the instance (creating the queue directories) and returns once the
  // master has initialized; the master daemonizes, with no inherited descriptor kept open here.
  const r = spawnSync(bin, ['-c', etc, 'start'], { stdio: 'ignore', timeout: 60_000 });
  if (r.status !== 0) {
    const text = log();
    pf.stop();
    throw new Error(`postfix did not start (exit ${r.status ?? r.signal}):\n${text}`);
  }
  return pf;
}
