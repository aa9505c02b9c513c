import { createLogger } from '../log.js';
import { startDaemon } from '../daemon.js';
import { intakeAddress } from '../mail/addresses.js';
import { EX } from './exit.js';
import type { CliEnv } from './env.js';

/** `vmtd serve`: runs until SIGTERM/SIGINT, then stops cleanly and exits 0. */
export async function serve(env: CliEnv): Promise<number> {
  const log = createLogger(env.config.log.level);
  const daemon = await startDaemon(env.config, env.clock, log);
  const { smtp, instance } = env.config;
  log.info(
    { team: daemon.ctx.team.fingerprint, created: daemon.teamKeyCreated, smtp: `${smtp.host}:${daemon.smtp.port}`, intake: intakeAddress(instance), transport: env.config.delivery.transport },
    'vmtd serving',
  );
  env.out(`vmtd: team key ${daemon.ctx.team.fingerprint}${daemon.teamKeyCreated ? ' (generated)' : ''}\n`);
  env.out(`vmtd: SMTP on ${smtp.host}:${daemon.smtp.port} for ${intakeAddress(instance)}; outgoing via ${env.config.delivery.transport}${env.config.delivery.transport === 'maildir' ? ` ${env.config.delivery.maildir}` : ''}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log.info('stopping: no new mail accepted, finishing work in hand');
  await daemon.stop();
  log.info('stopped');
  return EX.OK;
}
