/** The envelope of one delivery. */
export interface DeliveryEnvelope {
  from: string;
  to: string;
}

/** The result of handing one mail to the next hop: delivered, or why not and whether to retry. */
export type DeliveryResult = { ok: true } | { ok: false; permanent: boolean; error: string };

/** Something that delivers a composed mail, given as pieces in order (SMTP smart host, or a maildir). */
export interface Transport {
  deliver(envelope: DeliveryEnvelope, pieces: Buffer[]): Promise<DeliveryResult>;
  close(): Promise<void>;
}
