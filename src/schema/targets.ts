/** The schemas compiled ahead of time, with the options their users compile them with and where the code goes. */
import { advisorySchema } from '../advisories/schema.js';
import { configSchema } from '../config/schema.js';
import type { ValidatorOptions } from './validator.js';

export interface ValidatorTarget {
  schema: object;
  options: ValidatorOptions;
  /** path of the generated module, relative to the repository root */
  file: string;
}

export const configValidatorOptions: ValidatorOptions = { allErrors: true, useDefaults: true, strict: false };
export const advisoryValidatorOptions: ValidatorOptions = { allErrors: true, strict: false, verbose: true };

export const validatorTargets: ValidatorTarget[] = [
  { schema: configSchema, options: configValidatorOptions, file: 'src/config/config-validator.generated.ts' },
  { schema: advisorySchema, options: advisoryValidatorOptions, file: 'src/advisories/advisory-validator.generated.ts' },
];
