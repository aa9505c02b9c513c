// sd_notify for `Type=notify`: tells systemd when vmtd is ready, reloading and stopping.
//
// The protocol is one datagram on the unix socket named by $NOTIFY_SOCKET. Node has no unix
// datagram sockets, and the npm bindings for it are native add-ons without upkeep; so vmtd runs
// systemd's own `systemd-notify`, which sends the datagram and (since systemd 246) waits until
// the manager has processed it. The unit needs NotifyAccess=all, since the sender is a child;
// `--pid` names vmtd as the main process.
import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

/** Runs one `systemd-notify` (at most 10 s); resolves whatever happens. */
export type Notifier = (...states: string[]) => Promise<void>;

/**
 * A notifier for this process: a no-op when $NOTIFY_SOCKET is unset (not under systemd, or a
 * unit that is not Type=notify), else each call sends the states (READY=1, RELOADING=1,
 * STOPPING=1, STATUS=…) through `systemd-notify --pid=PID`. A failure (no systemd-notify
 * binary, a refused message) is logged once per call and never thrown: vmtd keeps running.
 */
export function systemdNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env, command = 'systemd-notify'): Notifier {
  if (!env.NOTIFY_SOCKET) return async () => {};
  return (...states) =>
    new Promise<void>((resolve) => {
      execFile(command, [`--pid=${process.pid}`, ...states], { env, timeout: 10_000 }, (err, _stdout, stderr) => {
        if (err) log.warn({ states, err: (stderr || err.message).trim().split('\n')[0] }, 'systemd-notify failed (Type=notify needs it, with NotifyAccess=all)');
        resolve();
      });
    });
}
