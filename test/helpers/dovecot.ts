// A real Dovecot for tests: throwaway config, run as nobody on a loopback port (STACK.md recipe).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasDovecot = spawnSync('dovecot', ['--version']).status === 0 && process.getuid?.() === 0;

export interface Dovecot {
  port: number;
  user: string;
  pass: string;
  stop(): void;
}

export function startDovecot(port: number): Dovecot {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-dovecot-'));
  const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
  const group = execFileSync('id', ['-gn', 'nobody']).toString().trim();
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'passwd'), 'sec:{PLAIN}pw::::::\n');
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
default_internal_user = nobody
default_login_user = nobody
default_internal_group = ${group}
first_valid_uid = ${uid}
first_valid_gid = 0
protocols = imap
listen = 127.0.0.1
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`,
  );
  for (const p of [dir, join(dir, 'run'), join(dir, 'state'), join(dir, 'mail'), join(dir, 'passwd'), conf]) chownSync(p, uid, gid);
  // Dovecot's master daemonizes and keeps inherited pipes open: give it none, or we wait forever.
  const r = spawnSync('runuser', ['-u', 'nobody', '--', 'dovecot', '-c', conf], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`dovecot did not start (exit ${r.status}); see ${dir}/dovecot.log`);
  return {
    port,
    user: 'sec',
    pass: 'pw',
    stop() {
      spawnSync('doveadm', ['-c', conf, 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
