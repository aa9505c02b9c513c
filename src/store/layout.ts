import { join } from 'node:path';

/** Where everything vmtd keeps lives inside its data directory (`instance.dataDir`); the one place that knows. */
export const dataFiles = (dataDir: string) => ({
  db: join(dataDir, 'vmtd.sqlite'),
  teamKey: join(dataDir, 'team.key'),
  dataKey: join(dataDir, 'data.key'),
  /** Large messages as received, spooled sealed, one file each. */
  spool: join(dataDir, 'spool'),
  /** Large message contents (sealed) and relays' encrypted data, one file each. */
  blobs: join(dataDir, 'blobs'),
});
