import { firmwareUrlProblem, firmwareVersionProblem, type FirmwareJob } from './firmware.js';

/**
 * Where the gateway agrees to fetch firmware from. A firmware URL comes from the hub, so it is
 * input like any other: without limits a push could make the gateway fetch from its own control
 * endpoint, a local admin API, or a link-local cloud metadata service.
 */
export interface FirmwareSourcePolicy {
  /** Hosts firmware may come from: exact names or `*.example.com` (any subdomain); empty = any host. */
  readonly allowedHosts: readonly string[];
  /** Accept loopback hosts (127.0.0.0/8, ::1, localhost, 0.0.0.0): the hub emulator on this machine. */
  readonly allowLoopback: boolean;
  /** Accept link-local hosts (169.254.0.0/16, fe80::/10). */
  readonly allowLinkLocal: boolean;
  /** Ports of this machine never fetched from, even with allowLoopback (the gateway's control endpoint). */
  readonly refusedLocalPorts: readonly number[];
  /** Largest image accepted, in bytes. */
  readonly maxImageBytes: number;
}

export const DEFAULT_FIRMWARE_SOURCE_POLICY: FirmwareSourcePolicy = {
  allowedHosts: [],
  allowLoopback: false,
  allowLinkLocal: false,
  refusedLocalPorts: [],
  maxImageBytes: 512 * 1024 * 1024,
};

export type HostKind = 'loopback' | 'link_local' | 'other';

/**
 * What kind of address a host is: a URL's `hostname` (IPv6 in brackets, IPv4 already normalised
 * by the URL parser, so `0x7f.1` is `127.0.0.1`) or a resolved address (no brackets).
 */
export function hostKind(host: string): HostKind {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  const v4 = ipv4Of(h);
  if (v4) return ipv4Kind(v4);
  if (!h.includes(':')) return 'other';
  const groups = ipv6Groups(h);
  if (!groups) return 'other';
  if (groups.every((g, i) => g === (i === 7 ? 1 : 0))) return 'loopback'; // ::1
  if (groups.every((g) => g === 0)) return 'loopback'; // :: reaches this machine
  if ((groups[0]! & 0xffc0) === 0xfe80) return 'link_local';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses are their IPv4.
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0)) {
    return ipv4Kind([groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff]);
  }
  return 'other';
}

/** Why the gateway refuses to run `job` under `policy`, or undefined when it may. */
export function firmwareJobProblem(job: FirmwareJob, policy: FirmwareSourcePolicy): string | undefined {
  const version = firmwareVersionProblem(job.version);
  if (version) return version;
  if (!Number.isSafeInteger(job.size) || job.size < 1) return `file_size ${String(job.size)} must be a positive number of bytes`;
  if (job.size > policy.maxImageBytes) {
    return `file_size ${job.size} is above the ${policy.maxImageBytes} bytes this gateway accepts (ota.maxImageBytes)`;
  }
  if (typeof job.md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(job.md5)) return 'md5sum must be 32 hex digits';
  return firmwareUrlPolicyProblem(job.url, policy);
}

/** Why the gateway refuses to fetch `url` under `policy` (scheme, host, port), or undefined. */
export function firmwareUrlPolicyProblem(url: string, policy: FirmwareSourcePolicy): string | undefined {
  const problem = firmwareUrlProblem(url);
  if (problem) return problem;
  const parsed = new URL(url);
  const host = parsed.hostname;
  const kind = hostKind(host);
  const listed = policy.allowedHosts.some((pattern) => hostMatches(host, pattern));
  if (kind === 'loopback') {
    const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
    if (policy.refusedLocalPorts.includes(port)) return `the firmware url points at this gateway's own control endpoint (${host}:${port})`;
    if (!policy.allowLoopback && !listed) return `the firmware url host ${host} is this machine (loopback); set ota.allowLoopback to fetch from it`;
  }
  if (kind === 'link_local' && !policy.allowLinkLocal && !listed) {
    return `the firmware url host ${host} is link-local; set ota.allowLinkLocal to fetch from it`;
  }
  if (policy.allowedHosts.length > 0 && !listed && !(kind === 'loopback' && policy.allowLoopback)) {
    return `the firmware url host ${host} is not in ota.allowedHosts`;
  }
  return undefined;
}

/** `pattern` is a host name, or `*.domain` for any name below it. */
function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().trim();
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p.replace(/^\[|\]$/g, '') || h === p;
}

function ipv4Of(h: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function ipv4Kind([a, b]: readonly number[]): HostKind {
  if (a === 127 || a === 0) return 'loopback';
  if (a === 169 && b === 254) return 'link_local';
  return 'other';
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail), or undefined. */
function ipv6Groups(h: string): number[] | undefined {
  let text = h.split('%')[0] ?? '';
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = ipv4Of(tail[1] ?? '');
    if (!v4) return undefined;
    text = `${text.slice(0, -(tail[1] ?? '').length)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out = s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN));
    return out.some(Number.isNaN) ? undefined : out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
}
