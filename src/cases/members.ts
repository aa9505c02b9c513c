/** Who is in a case, and in what role: domain types shared by commands, composing and storage. */

export type MemberRole = 'coordinator' | 'reporter' | 'expert' | 'project-contact';

export interface Member {
  email: string;
  name: string | null;
  role: MemberRole;
  projectId: string | null;
  fingerprint: string | null;
  /**
   * Whether `fingerprint` authorizes this member's commands. Configured people and experts a
   * coordinator added are pinned; a reporter only once their own signed mail pinned their key.
   */
  pinned: boolean;
}
