/** The envelope of one delivery. */
export interface DeliveryEnvelope {
  from: string;
  to: string;
}

/** The result of handing one mail to the next hop: delivered, or why not and whether to retry. */
export type DeliveryResult = { ok: true } | { ok: false; permanent: boolean; error: string };

/** Something that delivers a composed mail (SMTP smart host, or a maildir). */
export interface Transport {
  deliver(envelope: DeliveryEnvelope, raw: Buffer): Promise<DeliveryResult>;
  close(): Promise<void>;
}
