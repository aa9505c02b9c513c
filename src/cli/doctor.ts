import { openVmtd } from '../context.js';
import { checkDatabase, checkKeys, checkPermissions, checkTransport, type Finding } from '../doctor/checks.js';
import { createLogger } from '../log.js';
import { EX } from './exit.js';
import type { CliEnv } from './env.js';

/** `vmtd doctor`: one line per finding, with the fix; exit 1 when anything FAILs. (A bad config already exits 78.) */
export async function doctor(env: CliEnv): Promise<number> {
  const findings: Finding[] = [{ level: 'ok', what: `configuration ${env.config.file} is valid` }];
  const ctx = await openVmtd(env.config, env.clock, createLogger('error'));
  try {
    findings.push(...checkPermissions(env.config.instance.dataDir), ...checkDatabase(ctx), ...(await checkKeys(ctx)), ...(await checkTransport(ctx)));
  } finally {
    ctx.db.close();
  }
  for (const f of findings) env.out(`${f.level.padEnd(4)}  ${f.what}${f.fix ? ` — ${f.fix}` : ''}\n`);
  const failed = findings.filter((f) => f.level === 'FAIL').length;
  env.out(failed ? `${failed} problem(s) to fix\n` : 'no problems found\n');
  return failed ? 1 : EX.OK;
}
