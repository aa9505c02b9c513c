import { createLogger, type Logger } from '../log.js';
import { refreshKeys } from '../context.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { startDaemon, StartupError, type Daemon } from '../daemon.js';
import { intakeAddress } from '../mail/addresses.js';
import { CliError, EX } from './exit.js';
import { systemdNotifier, type Notifier } from '../notify.js';
import type { CliEnv } from './env.js';

/**
 * Sections read once at start (listeners, data directory, addresses, transport, IMAP, cron, log):
 * a reload keeps the running values, so the daemon never runs half on the old and half on the
 * new, and says which changed sections wait for the next start.
 */
const restartOnly = ['instance', 'smtp', 'metrics', 'imap', 'delivery', 'schedule', 'log'] as const;

/**
 * SIGHUP: reads the configuration file again and takes it with the keys as they are now (the
 * keyring as other processes left it, e.g. after `vmtd keys import`; the configured key files).
 * A configuration that does not load is logged and the running one kept. Reloads never overlap:
 * a HUP during a reload runs one more after it. Under systemd each reload is framed by
 * RELOADING=1 and READY=1 (also when the new configuration was refused: the old one serves).
 */
function reloader(daemon: Daemon, file: string, log: Logger, notify: Notifier): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const reload = async (): Promise<void> => {
    await notify('RELOADING=1');
    try {
      await rereadAll();
    } finally {
      await notify('READY=1');
    }
  };
  const rereadAll = async (): Promise<void> => {
    let next: Config;
    try {
      next = loadConfig(file);
    } catch (err) {
      log.error({ file, err: (err as Error).message }, 'SIGHUP: the configuration does not load; keeping the running one');
      return;
    }
    const current = daemon.ctx.config;
    const changed = restartOnly.filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k]));
    next = { ...next, ...Object.fromEntries(restartOnly.map((k) => [k, current[k]])) };
    try {
      await refreshKeys(daemon.ctx, next);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'SIGHUP: reloading the keys failed; keeping the running configuration');
      return;
    }
    if (changed.length > 0) log.warn({ keys: changed }, 'SIGHUP: these settings take effect only at the next start');
    log.info({ file, keys: daemon.ctx.keyring.all().length }, 'reloaded configuration and keys');
  };
  const hup = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = reload()
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'SIGHUP: reload failed'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          hup();
        }
      });
  };
  return hup;
}

/**
 * `vmtd serve`: runs until SIGTERM/SIGINT, then stops cleanly and exits 0; SIGHUP reloads the
 * configuration and keys. When it cannot start (a port in use, an unusable data directory) it
 * ends at once with one line naming the cause and exit code 69 or 71.
 */
export async function serve(env: CliEnv): Promise<number> {
  const log = createLogger(env.config.log.level);
  const notify = systemdNotifier(log);
  // Installed before anything starts: a HUP during start-up must not kill the process (the default).
  let hup: () => void = () => {
    pendingHup = true;
  };
  let pendingHup = false;
  const onHup = (): void => hup();
  process.on('SIGHUP', onHup);
  // A bug that leaves a promise rejected is logged; it does not take down the intake.
  const onRejection = (err: unknown): void => log.error({ err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined }, 'unhandled rejection (a bug); the daemon goes on');
  process.on('unhandledRejection', onRejection);
  let daemon: Daemon & { teamKeyCreated: boolean };
  try {
    daemon = await startDaemon(env.config, env.clock, log);
  } catch (err) {
    process.off('SIGHUP', onHup);
    process.off('unhandledRejection', onRejection);
    // Whatever else might still hold the event loop, the process ends within seconds.
    setTimeout(() => process.exit(process.exitCode ?? EX.SOFTWARE), 3000).unref();
    if (err instanceof StartupError) throw new CliError(err.message, err.sysexit);
    log.debug({ stack: (err as Error).stack }, 'start-up failed');
    throw new CliError(`cannot start: ${(err as Error).message?.split('\n')[0] ?? String(err)}`, EX.SOFTWARE);
  }
  hup = reloader(daemon, env.config.file, log, notify);
  if (pendingHup) hup();
  const { smtp, instance } = env.config;
  log.info(
    { team: daemon.ctx.team.fingerprint, created: daemon.teamKeyCreated, smtp: `${smtp.host}:${daemon.smtp.port}`, intake: intakeAddress(instance), transport: env.config.delivery.transport },
    'vmtd serving',
  );
  env.out(`vmtd: team key ${daemon.ctx.team.fingerprint}${daemon.teamKeyCreated ? ' (generated)' : ''}\n`);
  env.out(`vmtd: SMTP on ${smtp.host}:${daemon.smtp.port} for ${intakeAddress(instance)}; outgoing via ${env.config.delivery.transport}${env.config.delivery.transport === 'maildir' ? ` ${env.config.delivery.maildir}` : ''}\n`);
  // Type=notify: systemd counts the start done only now, with every listener bound and the loops running.
  const stopSignal = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await notify('READY=1', `STATUS=serving ${intakeAddress(instance)} on ${smtp.host}:${daemon.smtp.port}`);
  await stopSignal;
  log.info('stopping: no new mail accepted, finishing work in hand');
  await notify('STOPPING=1');
  await daemon.stop();
  process.off('SIGHUP', onHup);
  process.off('unhandledRejection', onRejection);
  log.info('stopped');
  return EX.OK;
}
