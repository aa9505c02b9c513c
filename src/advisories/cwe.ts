/**
 * Official names of common CWE entries (CWE 4.x), for CSAF, whose `cwe.name` must be the
 * entry's name (CSAF 2.0 mandatory test 6.1.11). The YAML carries only the ID; an ID missing here
 * keeps the ID as its name (schema-valid, and flagged by a full 6.1.11 check). Add entries as
 * advisories need them, copying the name from https://cwe.mitre.org/data/definitions/N.html.
 */
const NAMES: Record<string, string> = {
  'CWE-20': 'Improper Input Validation',
  'CWE-22': "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
  'CWE-59': "Improper Link Resolution Before File Access ('Link Following')",
  'CWE-74': "Improper Neutralization of Special Elements in Output Used by a Downstream Component ('Injection')",
  'CWE-77': "Improper Neutralization of Special Elements used in a Command ('Command Injection')",
  'CWE-78': "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
  'CWE-79': "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
  'CWE-89': "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
  'CWE-94': "Improper Control of Generation of Code ('Code Injection')",
  'CWE-119': 'Improper Restriction of Operations within the Bounds of a Memory Buffer',
  'CWE-120': "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')",
  'CWE-125': 'Out-of-bounds Read',
  'CWE-190': 'Integer Overflow or Wraparound',
  'CWE-200': 'Exposure of Sensitive Information to an Unauthorized Actor',
  'CWE-269': 'Improper Privilege Management',
  'CWE-276': 'Incorrect Default Permissions',
  'CWE-284': 'Improper Access Control',
  'CWE-285': 'Improper Authorization',
  'CWE-287': 'Improper Authentication',
  'CWE-295': 'Improper Certificate Validation',
  'CWE-306': 'Missing Authentication for Critical Function',
  'CWE-319': 'Cleartext Transmission of Sensitive Information',
  'CWE-352': 'Cross-Site Request Forgery (CSRF)',
  'CWE-400': 'Uncontrolled Resource Consumption',
  'CWE-416': 'Use After Free',
  'CWE-434': 'Unrestricted Upload of File with Dangerous Type',
  'CWE-476': 'NULL Pointer Dereference',
  'CWE-502': 'Deserialization of Untrusted Data',
  'CWE-601': "URL Redirection to Untrusted Site ('Open Redirect')",
  'CWE-732': 'Incorrect Permission Assignment for Critical Resource',
  'CWE-770': 'Allocation of Resources Without Limits or Throttling',
  'CWE-772': 'Missing Release of Resource after Effective Lifetime',
  'CWE-787': 'Out-of-bounds Write',
  'CWE-798': 'Use of Hard-coded Credentials',
  'CWE-862': 'Missing Authorization',
  'CWE-863': 'Incorrect Authorization',
  'CWE-918': 'Server-Side Request Forgery (SSRF)',
};

/** The CWE entry's official name, or the ID itself when this table does not know it. */
export function cweName(id: string): string {
  return NAMES[id] ?? id;
}
