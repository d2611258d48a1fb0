import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type FirmwareUrlVerdict = { ok: true } | { ok: false; reason: 'unsigned' | 'bad signature' | 'expired' };

/**
 * Signs firmware download links like the hub's presigned URLs: the expiry is inside the signature
 * (HMAC-SHA256 over id and expiry with a key made at each start), so a link cannot be stretched,
 * pointed at another image, or forged, and every link dies with the emulator that made it.
 */
export class FirmwareUrlSigner {
  constructor(
    private readonly key: Buffer = randomBytes(32),
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** `expires={unix s}&sig={base64url}` for an image, valid for `ttlSec` seconds. */
  query(id: string, ttlSec: number): string {
    const expires = Math.floor(this.now() / 1000) + ttlSec;
    return `expires=${expires}&sig=${this.sign(id, String(expires))}`;
  }

  verify(id: string, expires: string | null, sig: string | null): FirmwareUrlVerdict {
    if (expires === null || sig === null || !/^\d{1,12}$/.test(expires)) return { ok: false, reason: 'unsigned' };
    const expected = Buffer.from(this.sign(id, expires));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
    if (Number(expires) * 1000 < this.now()) return { ok: false, reason: 'expired' };
    return { ok: true };
  }

  private sign(id: string, expires: string): string {
    return createHmac('sha256', this.key).update(`${id}\n${expires}`).digest('base64url');
  }
}
