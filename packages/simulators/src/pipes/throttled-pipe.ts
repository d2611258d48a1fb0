import { realScheduler, type Scheduler } from '@iotgw/link-protocol';
import { PipeEnd } from './pipe-end.js';

export interface ThrottledPipeOptions {
  /** Line rate in baud with 8N1 framing: 10 bits per byte. Default 115200 (11,520 B/s). */
  readonly baudRate?: number;
  /** One-way latency added to every write (turnaround, USB polling). Default 0. */
  readonly latencyMs?: number;
  /** Probability each byte is dropped. Default 0. */
  readonly lossRate?: number;
  /** Probability each byte has a random bit flipped. Default 0. */
  readonly corruptRate?: number;
  /** PRNG seed so a fault pattern is reproducible. */
  readonly seed?: number;
  readonly scheduler?: Scheduler;
}

export interface PipeStats {
  bytesWritten: number;
  bytesDelivered: number;
  bytesLost: number;
  bytesCorrupted: number;
}

export interface ThrottledPipe {
  readonly a: PipeEnd;
  readonly b: PipeEnd;
  readonly stats: PipeStats;
  /** While cut, every byte is lost in both directions (cable pulled). */
  cut: boolean;
}

/**
 * A pipe that behaves like a serial line: each direction serialises bytes at the line rate
 * (writes queue behind each other), adds latency, and can lose or corrupt bytes.
 */
export function createThrottledPipe(options: ThrottledPipeOptions = {}): ThrottledPipe {
  const scheduler = options.scheduler ?? realScheduler;
  const bytesPerMs = (options.baudRate ?? 115_200) / 10 / 1000;
  const latency = options.latencyMs ?? 0;
  const loss = options.lossRate ?? 0;
  const corrupt = options.corruptRate ?? 0;
  let seed = (options.seed ?? 0x9e3779b9) >>> 0 || 1;
  const random = (): number => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 0x100000000;
  };
  const stats: PipeStats = { bytesWritten: 0, bytesDelivered: 0, bytesLost: 0, bytesCorrupted: 0 };
  const bytesPerSecond = bytesPerMs * 1000;
  const pipe: ThrottledPipe = {
    a: new PipeEnd('throttled-pipe:a', { bytesPerSecond }),
    b: new PipeEnd('throttled-pipe:b', { bytesPerSecond }),
    stats,
    cut: false,
  };

  const direction = (to: PipeEnd): ((bytes: Uint8Array) => void) => {
    let lineFreeAt = 0;
    return (bytes) => {
      stats.bytesWritten += bytes.length;
      const now = scheduler.now();
      const start = Math.max(now, lineFreeAt);
      lineFreeAt = start + bytes.length / bytesPerMs;
      const out: number[] = [];
      for (const byte of bytes) {
        if (pipe.cut || (loss > 0 && random() < loss)) {
          stats.bytesLost++;
          continue;
        }
        if (corrupt > 0 && random() < corrupt) {
          stats.bytesCorrupted++;
          out.push(byte ^ (1 << Math.floor(random() * 8)));
        } else out.push(byte);
      }
      const delivered = Uint8Array.from(out);
      scheduler.setTimer(lineFreeAt - now + latency, () => {
        stats.bytesDelivered += delivered.length;
        to.receive(delivered);
      });
    };
  };
  pipe.a.connect(direction(pipe.b), pipe.b);
  pipe.b.connect(direction(pipe.a), pipe.a);
  return pipe;
}
