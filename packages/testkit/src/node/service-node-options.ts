/**
 * The NODE_OPTIONS the shipped service runs the gateway with (`deploy/systemd/iotgw.service`,
 * `Dockerfile`; a test keeps them equal to this). The benches measure the product with them, beside
 * Node's defaults.
 *
 * Why: V8 sizes its heap from the machine's memory. On a 24 GiB box the old generation may grow to
 * 4 GB and V8 lets it fill with garbage to several times the live heap before a major GC (queuing
 * 1M readings at 10k/s: peak RSS 176 MB, live heap 19 MB). On a 1 GiB device Node picks 256 MB by
 * itself, and V8 then collects early (same run: 129 MB). Stating it makes the gateway behave the
 * same on every machine. 256 MB is about ten times the live heap of a gateway with 10,000
 * subdevices online (26 MB).
 *
 * With that old space V8 lets the old generation grow only 1.3x past what survived the last major
 * GC (`--trace-gc-verbose`: "factor 1.3"), and the semi-spaces default to 16 MB. Draining an outage's
 * readings then ran a major GC every ~100 ms (497-616 per 1M readings, drain 0.85-1.01x the online
 * rate). With 8 MB semi-spaces V8 scavenges twice as often but ran half the major GCs (264-275),
 * drain 0.90-0.91x, and less RSS while queuing (2026-12-01 probes; the root README's benches
 * measure the product with exactly this string).
 */
export const SERVICE_NODE_OPTIONS = '--max-old-space-size=256 --max-semi-space-size=8';

/** The same, as arguments before a script on a node command line. */
export const serviceNodeArgs = (): string[] => SERVICE_NODE_OPTIONS.split(' ');
