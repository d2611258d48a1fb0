import { generate } from 'selfsigned';

export interface TlsCredentials {
  /** PEM certificate; clients must trust it (pass as `ca`). Not secret. */
  cert: string;
  /** PEM private key. Sensitive: never logged. */
  key: string;
}

/**
 * A fresh self-signed certificate for `localhost` and 127.0.0.1 (and the bind host), made at start
 * so the emulator can offer TLS like the hub's port 8883 without any files to manage.
 */
export async function createSelfSignedCertificate(host: string): Promise<TlsCredentials> {
  const altNames: Array<{ type: 2 | 7; value?: string; ip?: string }> = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ];
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && host !== '127.0.0.1' && host !== '0.0.0.0') altNames.push({ type: 7, ip: host });
  const pems = await generate([{ name: 'commonName', value: 'iotgw-hub-emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  return { cert: pems.cert, key: pems.private };
}
