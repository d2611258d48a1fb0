import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RegistryError } from './hub-emulator.errors.js';

const TOKEN_SHAPE = /^[A-Za-z0-9._~-]{16,128}$/;

/** A fresh admin token: 24 random bytes, base64url (32 characters, safe in a URL). */
export function createAdminToken(): string {
  return randomBytes(24).toString('base64url');
}

/** A token given by flag or environment must be long enough to guess at and safe in a URL. */
export function checkAdminTokenShape(token: string): string {
  if (!TOKEN_SHAPE.test(token)) {
    throw new RegistryError('the admin token must be 16 to 128 characters of A-Z a-z 0-9 . _ ~ - (or leave it out: a random one is made at start)');
  }
  return token;
}

/**
 * The token a request carries: `Authorization: Bearer <token>` (API clients, curl) or `?token=`
 * (the console's event stream: EventSource cannot set headers).
 */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header && /^Bearer /i.test(header)) return header.slice(7).trim();
  return url.searchParams.get('token') ?? undefined;
}

/** True when the request carries `expected`; compared in constant time. */
export function carriesAdminToken(req: IncomingMessage, url: URL, expected: string): boolean {
  const given = tokenOf(req, url);
  if (given === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
