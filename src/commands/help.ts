/** The X-HELP answer: the command language in brief. */
export const helpText = `Commands are keyword lines at the very start of a signed (and preferably
encrypted) message; they end at the first other line or at X-STOP. The rest
of the message is a comment relayed to the case with the results.

Case commands (send to the case address; the first line binds the case):
  X-CASE: CASE-ID                     required first line
  X-STATE: new|triaged|accepted|closed|rejected
                                      an incident's: reported|investigating|
                                      contained|closed|rejected
  X-KIND: incident|vulnerability      an incident is a compromise of a project
                                      (stolen key, backdoored release, hacked CI);
                                      its X-NOTIFY tells the stakeholders at once,
                                      the comment being the notice
  X-CLASS: A|B1|B2|B3|C1|C2|D|E|Y|Z   report class (OpenStack VMT taxonomy);
                                      E, Y, Z close the case without publication
  X-SEVERITY: critical|high|medium|low|none
  X-TITLE: text
  X-ADD-EXPERT: address               key from the keyring or attached
  X-REMOVE-EXPERT: address
  X-ADD-PROJECT: PROJECT
  X-PROJECT-STATUS: PROJECT affected|not-affected|fixed [VERSION]|unknown
  X-EMBARGO: YYYY-MM-DD HH:MM UTC | YYYY-MM-DD | none
  X-EMBARGO-OVERRIDE: reason          allows an embargo beyond the policy maximum
  X-CVE: CVE-YYYY-NNNN …
  X-CVE-REQUEST                       asks the configured CNA for CVE IDs
  X-CREDIT: [TYPE:] Name from Affiliation
  X-NOTIFY: STAKEHOLDER …
  X-ADVISORY                          the attached .yaml becomes the advisory draft
  X-APPROVE                           approves the latest draft
  X-PUBLISH                           publishes now (the approved revision)
  X-MERGE: OTHER-CASE-ID              this case is a duplicate of the other
  X-REOPEN
  X-STATUS                            answers with the case's status
  X-LEAKED: note                      the embargo is broken: published once approved

Team commands (send to the intake address, no X-CASE):
  X-HELP, X-LIST-CASES, X-OPEN: title (the comment is the report)

Project registry (coordinators, to the intake address; all lines apply or none):
  X-PROJECT-ADD: ID Name
  X-PROJECT-CONTACT: ID [Name] <address> [FINGERPRINT]   key attached or imported
  X-PROJECT-REMOVE-CONTACT: ID address
  X-PROJECT-SET: ID name|agreed|repo|active VALUE  (agreed YYYY-MM-DD, active yes|no)
  X-PROJECT-REMOVE: ID
  X-LIST-PROJECTS
Reporters write to a project through us at security+project-ID@ (or a
"Project: ID" first line).

Coordinators may use every keyword; project contacts X-PROJECT-STATUS for
their project and X-STATUS; experts X-STATUS; the reporter X-STATUS and
X-CREDIT for themselves. All keywords of a message apply, or none does.
Signatures older than the policy's maximum age, or used before, are refused.`;
