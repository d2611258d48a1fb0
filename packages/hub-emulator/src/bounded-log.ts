/**
 * The newest `capacity` entries of a list that would otherwise grow with whatever devices send
 * (refusals, malformed messages, download requests), plus how many were ever added. `items` is a
 * plain array, oldest first, so callers read it like any list.
 */
export class BoundedLog<T> {
  readonly items: T[] = [];
  /** Every entry ever added, including those dropped to keep the bound. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  push(item: T): void {
    this.total += 1;
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }
}
