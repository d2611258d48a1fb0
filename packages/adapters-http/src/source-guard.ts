import { lookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { FirmwareError, hostKind, type HostKind } from '@iotgw/domain';
import type { BeforeRedirectHook } from 'got';

/** Which local addresses a download may reach (the OTA use case checked the URL; this checks the wire). */
export interface FirmwareSourceGuard {
  readonly allowLoopback: boolean;
  readonly allowLinkLocal: boolean;
}

function refusal(kind: HostKind, guard: FirmwareSourceGuard): string | undefined {
  if (kind === 'loopback' && !guard.allowLoopback) return 'this machine (loopback)';
  if (kind === 'link_local' && !guard.allowLinkLocal) return 'a link-local address';
  return undefined;
}

/** Why the URL's own host is refused (an address literal or `localhost`), or undefined. */
export function refusedHost(url: string, guard: FirmwareSourceGuard): string | undefined {
  const host = new URL(url).hostname;
  const bad = refusal(hostKind(host), guard);
  return bad ? `host ${host} is ${bad}` : undefined;
}

function refused(what: string, where: string): FirmwareError {
  return new FirmwareError(-3, `firmware download refused: ${what} is ${where}; the gateway's OTA settings do not allow it`);
}

/**
 * got options that keep a download off addresses the guard refuses, where a URL check cannot see
 * them: a host name that resolves to 127.0.0.1 or 169.254.169.254, and a redirect to such a host.
 * Either ends the download with FirmwareError -3 (never retried).
 */
export function guardedRequestOptions(guard: FirmwareSourceGuard): { dnsLookup: LookupFunction; hooks: { beforeRedirect: BeforeRedirectHook[] } } {
  const dnsLookup: LookupFunction = (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 4);
        return;
      }
      const bad = addresses.map((a) => refusal(hostKind(a.address), guard)).find((r) => r !== undefined);
      if (bad) {
        callback(refused(`host ${hostname}`, `${bad}`), '', 4);
        return;
      }
      // The caller asked for one address or all of them (net's autoSelectFamily asks for all).
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
    });
  };
  const beforeRedirect: BeforeRedirectHook = (updated) => {
    const host = updated.url instanceof URL ? updated.url.hostname : new URL(String(updated.url)).hostname;
    const bad = refusal(hostKind(host), guard);
    if (bad) throw refused(`a redirect to ${host}`, bad);
  };
  return { dnsLookup, hooks: { beforeRedirect: [beforeRedirect] } };
}
