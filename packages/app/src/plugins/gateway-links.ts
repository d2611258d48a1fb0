import { subdeviceKey, toGatewayError, type AdapterContext, type CallOptions, type Logger, type SubdeviceId, type SubdeviceLink } from '@iotgw/domain';
import type { GatewayService } from '../use-cases/gateway-service.js';
import type { AdapterChoice, AdapterRegistry, CheckedChoice } from './adapter-registry.js';
import { createAdapter } from './create-adapter.js';

/** One link of the running gateway, with what it was built from. */
interface BuiltLink {
  /** Adapter, checked options and served subdevices: equal keys build the same link. */
  readonly key: string;
  readonly choice: CheckedChoice;
  readonly served: readonly SubdeviceId[];
  readonly link: SubdeviceLink;
}

/** What `applyLinks` did. */
export interface LinkChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly kept: number;
}

export interface GatewayLinksOptions {
  readonly registry: AdapterRegistry;
  /** The declared subdevices (a link naming none serves those no other link names). */
  readonly declared: readonly SubdeviceId[];
  /** What every adapter factory gets; each link gets its own logger and served subdevices. */
  readonly context: AdapterContext;
  readonly logger: Logger;
}

/**
 * The gateway's links as built from its config's link choices, and the way to change them while
 * it runs: `apply` compares the new choices with the built ones (adapter, options, served
 * subdevices), stops and removes the links that went or changed, then builds (with the same
 * descriptor factories as at assembly) and starts the new ones. Links that did not change keep
 * running, and the hub connection is never touched. When a new link fails to start, the change
 * is undone: the new links are let go and the removed ones built and started again.
 */
export class GatewayLinks {
  readonly #o: GatewayLinksOptions;
  #built: BuiltLink[] = [];
  #changing: Promise<unknown> = Promise.resolve();

  constructor(options: GatewayLinksOptions) {
    this.#o = options;
  }

  /** Builds the links of the assembly (not started: the service starts them). */
  async build(choices: readonly AdapterChoice[]): Promise<SubdeviceLink[]> {
    const planned = this.#plan(choices);
    for (const [i, p] of planned.entries()) this.#built.push({ ...p, link: await this.#create(p, i) });
    return this.#built.map((b) => b.link);
  }

  get links(): readonly SubdeviceLink[] {
    return this.#built.map((b) => b.link);
  }

  /**
   * Makes the links `service` runs those of `choices` (see the class comment). Rejects with the config
   * error of a bad choice (nothing changed), or with the error of a link that failed to start
   * within `timeoutMs` (the change undone). Calls run one at a time.
   */
  apply(service: GatewayService, choices: readonly AdapterChoice[], options: CallOptions = {}): Promise<LinkChange> {
    const run = this.#changing.then(() => this.#apply(service, choices, options));
    this.#changing = run.catch(() => undefined);
    return run;
  }

  /** Stops every link still built (idempotent); for a dispose. */
  async stopAll(): Promise<void> {
    for (const b of [...this.#built].reverse()) await b.link.stop().catch(() => undefined);
  }

  async #apply(service: GatewayService, choices: readonly AdapterChoice[], options: CallOptions): Promise<LinkChange> {
    const planned = this.#plan(choices);
    const unmatched = [...this.#built];
    const keep: BuiltLink[] = [];
    const fresh: Array<{ readonly at: number; readonly plan: Omit<BuiltLink, 'link'> }> = [];
    for (const [at, plan] of planned.entries()) {
      const same = unmatched.findIndex((b) => b.key === plan.key);
      if (same >= 0) keep.push(...unmatched.splice(same, 1));
      else fresh.push({ at, plan });
    }
    const removed = unmatched;
    // Removed first: a changed link often reopens the same port the old one holds.
    for (const b of removed) await service.removeLink(b.link, options);
    this.#built = [...keep];
    const added: BuiltLink[] = [];
    try {
      for (const { at, plan } of fresh) {
        const link = await this.#create(plan, at);
        added.push({ ...plan, link });
        await service.addLink(link, options);
      }
    } catch (error) {
      const failure = toGatewayError(error);
      this.#o.logger.warn(`a new link did not start (${failure.message}): going back to the links before the change`);
      for (const b of added.reverse()) await service.removeLink(b.link);
      // Not under the caller's signal: a cancelled change still leaves the links it found.
      const restoring = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
      for (const [i, b] of removed.entries()) {
        try {
          const link = await this.#create(b, i);
          await service.addLink(link, restoring);
          this.#built.push({ ...b, link });
        } catch (again) {
          this.#o.logger.error(`restarting the link that was there before failed: ${toGatewayError(again).message}`);
        }
      }
      throw failure;
    }
    this.#built.push(...added);
    return { added: added.map((b) => b.link.name), removed: removed.map((b) => b.link.name), kept: keep.length };
  }

  #plan(choices: readonly AdapterChoice[]): Array<Omit<BuiltLink, 'link'>> {
    // Every choice is checked before anything changes: a config mistake changes nothing.
    const checked = choices.map((choice, i) => this.#o.registry.check('link', choice, `links.${i}`));
    const served = servedByLink(checked, this.#o.declared);
    return checked.map((choice, i) => {
      const own = served[i] ?? [];
      return { choice, served: own, key: JSON.stringify([choice.descriptor.name, choice.options, own.map(subdeviceKey)]) };
    });
  }

  async #create(plan: Omit<BuiltLink, 'link'>, index: number): Promise<SubdeviceLink> {
    const { context, logger } = this.#o;
    return createAdapter('link', plan.choice, { ...context, logger: logger.child({ component: `link ${index}` }), subdevices: plan.served });
  }
}

/**
 * The subdevices each link serves: those its options name; a link naming none serves every
 * declared subdevice no other link names. Anyone else saying hello on it is refused by the link.
 */
export function servedByLink(links: readonly CheckedChoice[], declared: readonly SubdeviceId[]): SubdeviceId[][] {
  const named = links.map((l) => [...(l.descriptor.subdevicesOf?.(l.options) ?? [])]);
  const elsewhere = new Set(named.flat().map(subdeviceKey));
  return named.map((own) => (own.length > 0 ? own : declared.filter((s) => !elsewhere.has(subdeviceKey(s)))));
}
