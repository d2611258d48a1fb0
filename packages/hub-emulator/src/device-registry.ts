import { access, constants, readFile, stat } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { dirname, resolve } from 'node:path';
import { productTopicsProblem } from './product-topics.js';
import { describeJsonError, isValidDeviceName, isValidProductId, subdeviceKey } from '@iotgw/domain';
import { isBase64Secret } from '@iotgw/protocol-tencent';
import { writeFileAtomic } from '@iotgw/durable-file';
import { RegistryError } from './hub-emulator.errors.js';
import { REGISTRY_KEYS, REGISTRY_SHAPE } from './registry-shape.js';

/** One device the hub knows: a gateway or a subdevice, with its key-auth secret (base64). */
export interface RegisteredDevice {
  productId: string;
  deviceName: string;
  deviceSecret: string;
  gateway?: boolean;
}

/** A product, for dynamic registration: its secret signs requests and encrypts the reply. */
export interface RegisteredProduct {
  productId: string;
  /** Sensitive: never logged, never returned by the admin API. */
  productSecret: string;
  /** The console's "dynamic registration" switch. */
  dynamicRegistration: boolean;
}

/** `gateway` and `subdevice` are `PRODUCTID/deviceName` keys. */
export interface Binding {
  gateway: string;
  subdevice: string;
}

/** The registry file's shape (extra fields are kept out; only these are persisted). */
export interface RegistryDocument {
  devices: RegisteredDevice[];
  bindings: Binding[];
  /** Written only when there are some (older files stay as they were). */
  products?: RegisteredProduct[];
  /** Custom topics by product id (beyond data, event, control); written only when there are some. */
  productTopics?: Record<string, string[]>;
}

export interface RegistryEvents {
  changed: [];
  bound: [binding: Binding];
  unbound: [binding: Binding];
  online: [device: string, online: boolean];
}

/**
 * Devices, secrets and gateway→subdevice bindings, as the hub's console holds them. Persisted to a
 * JSON file (atomic writes) when a path is given; online state is runtime only (the hub forgets it
 * when a device disconnects, so does the emulator on restart).
 */
export class DeviceRegistry extends EventEmitter<RegistryEvents> {
  private readonly devices = new Map<string, RegisteredDevice>();
  private bindings: Binding[] = [];
  private readonly products = new Map<string, RegisteredProduct>();
  private readonly topics = new Map<string, string[]>();
  private readonly onlineSet = new Set<string>();
  private readonly connectedSet = new Set<string>();
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly path?: string) {
    super();
  }

  /**
   * Loads the file if it exists; a missing file is an empty registry (created on first change).
   * Refuses a file that is not a registry (it would be overwritten on the first change) and a
   * directory the first change could not be written to.
   */
  static async open(path?: string): Promise<DeviceRegistry> {
    const registry = new DeviceRegistry(path);
    if (path) {
      await requireWritableDir(path);
      let text: string | undefined;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new RegistryError(`registry file ${path} cannot be read: ${(error as Error).message}`, { cause: error });
        }
      }
      if (text !== undefined) registry.load(parseRegistry(text, path));
    }
    return registry;
  }

  load(doc: RegistryDocument): void {
    this.devices.clear();
    for (const device of doc.devices) this.devices.set(subdeviceKey(device), { ...device });
    this.bindings = doc.bindings.map((b) => ({ ...b }));
    this.products.clear();
    for (const product of doc.products ?? []) this.products.set(product.productId, { ...product });
    this.topics.clear();
    for (const [pid, topics] of Object.entries(doc.productTopics ?? {})) this.topics.set(pid, [...topics]);
  }

  toJSON(): RegistryDocument {
    const doc: RegistryDocument = { devices: [...this.devices.values()].map((d) => ({ ...d })), bindings: this.bindings.map((b) => ({ ...b })) };
    if (this.products.size > 0) doc.products = [...this.products.values()].map((p) => ({ ...p }));
    if (this.topics.size > 0) doc.productTopics = Object.fromEntries([...this.topics].map(([pid, t]) => [pid, [...t]]));
    return doc;
  }

  getProduct(productId: string): RegisteredProduct | undefined {
    const product = this.products.get(productId);
    return product && { ...product };
  }

  /** Products without their secrets (for the admin API and the console). */
  listProducts(): Array<Omit<RegisteredProduct, 'productSecret'>> {
    return [...this.products.values()].map(({ productId, dynamicRegistration }) => ({ productId, dynamicRegistration }));
  }

  /** A product's custom topics (its topic list beyond data, event and control). */
  productTopics(productId: string): string[] {
    return [...(this.topics.get(productId) ?? [])];
  }

  /** Replaces a product's custom topics, as the console's topic list does. */
  async setProductTopics(productId: string, topics: readonly string[]): Promise<void> {
    if (!isValidProductId(productId)) throw new RegistryError(`product id ${JSON.stringify(productId)} is not valid: use 10 upper-case letters or digits`);
    const problem = productTopicsProblem(topics);
    if (problem) throw new RegistryError(problem);
    if (topics.length === 0) this.topics.delete(productId);
    else this.topics.set(productId, [...new Set(topics)]);
    await this.persist();
  }

  /** Adds or replaces a product; `productSecret` may be left out to keep the one it has. */
  async setProduct(product: { productId: string; productSecret?: string; dynamicRegistration: boolean }): Promise<void> {
    const secret = product.productSecret ?? this.products.get(product.productId)?.productSecret;
    const problem = productProblem({ productId: product.productId, productSecret: secret ?? '', dynamicRegistration: product.dynamicRegistration });
    if (problem) throw new RegistryError(problem);
    this.products.set(product.productId, { productId: product.productId, productSecret: secret ?? '', dynamicRegistration: product.dynamicRegistration });
    await this.persist();
  }

  get(productId: string, deviceName: string): RegisteredDevice | undefined {
    return this.devices.get(subdeviceKey({ productId, deviceName }));
  }

  getByKey(key: string): RegisteredDevice | undefined {
    return this.devices.get(key);
  }

  list(): RegisteredDevice[] {
    return [...this.devices.values()].map((d) => ({ ...d }));
  }

  listBindings(): Binding[] {
    return this.bindings.map((b) => ({ ...b }));
  }

  async addDevice(device: RegisteredDevice): Promise<void> {
    const problem = deviceProblem(device);
    if (problem) throw new RegistryError(problem);
    const entry: RegisteredDevice = { productId: device.productId, deviceName: device.deviceName, deviceSecret: device.deviceSecret };
    if (device.gateway) entry.gateway = true;
    this.devices.set(subdeviceKey(device), entry);
    await this.persist();
  }

  isBound(gateway: string, subdevice: string): boolean {
    return this.bindings.some((b) => b.gateway === gateway && b.subdevice === subdevice);
  }

  /** The gateway a subdevice is bound to, if any (the hub allows one gateway per subdevice). */
  gatewayOf(subdevice: string): string | undefined {
    return this.bindings.find((b) => b.subdevice === subdevice)?.gateway;
  }

  subdevicesOf(gateway: string): string[] {
    return this.bindings.filter((b) => b.gateway === gateway).map((b) => b.subdevice);
  }

  /** Returns false when already bound to this gateway (a repeat bind is a success, not a change). */
  async bind(gateway: string, subdevice: string): Promise<boolean> {
    this.requireDevice(gateway);
    this.requireDevice(subdevice);
    if (this.isBound(gateway, subdevice)) return false;
    // One gateway per subdevice: binding elsewhere moves it.
    this.bindings = this.bindings.filter((b) => b.subdevice !== subdevice);
    const binding = { gateway, subdevice };
    this.bindings.push(binding);
    await this.persist();
    this.emit('bound', binding);
    return true;
  }

  /** Returns false when there was no such binding. */
  async unbind(gateway: string, subdevice: string): Promise<boolean> {
    if (!this.isBound(gateway, subdevice)) return false;
    this.bindings = this.bindings.filter((b) => !(b.gateway === gateway && b.subdevice === subdevice));
    this.setOnline(subdevice, false);
    await this.persist();
    this.emit('unbound', { gateway, subdevice });
    return true;
  }

  /** Online either way: through its gateway, or on its own connection. */
  isOnline(key: string): boolean {
    return this.onlineSet.has(key) || this.connectedSet.has(key);
  }

  /** Brought online by its gateway (`online` operation): what the gateway's use of its data topics needs. */
  isOnlineViaGateway(key: string): boolean {
    return this.onlineSet.has(key);
  }

  /** Online through its gateway (`online`/`offline` operations, the gateway's disconnect, an unbind). */
  setOnline(key: string, online: boolean): void {
    this.#change(key, () => (online ? this.onlineSet.add(key) : this.onlineSet.delete(key)));
  }

  /**
   * Connected on its own MQTT connection (a gateway; or a subdevice using its own secret). Kept
   * apart from being online through a gateway: a subdevice that connects directly and leaves again
   * does not end the session its gateway holds for it.
   */
  setConnected(key: string, connected: boolean): void {
    this.#change(key, () => (connected ? this.connectedSet.add(key) : this.connectedSet.delete(key)));
  }

  listOnline(): string[] {
    return [...new Set([...this.onlineSet, ...this.connectedSet])];
  }

  /** Applies a presence change; `online` is emitted only when the combined state changed. */
  #change(key: string, apply: () => unknown): void {
    const was = this.isOnline(key);
    apply();
    const now = this.isOnline(key);
    if (was !== now) this.emit('online', key, now);
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    await this.saving;
  }

  private requireDevice(key: string): RegisteredDevice {
    const device = this.devices.get(key);
    if (!device) throw new RegistryError(`device ${key} is not in the registry: add it first`);
    return device;
  }

  private async persist(): Promise<void> {
    this.emit('changed');
    if (!this.path) return;
    const path = this.path;
    const text = `${JSON.stringify(this.toJSON(), null, 2)}\n`;
    // Serialise writes so an older snapshot can never land after a newer one.
    const next = this.saving.then(() => writeFileAtomic(path, text));
    this.saving = next.catch(() => undefined);
    await next;
  }
}

/** What is wrong with a device entry (without echoing its secret), or undefined when it is fine. */
function deviceProblem(device: RegisteredDevice): string | undefined {
  if (!isValidProductId(device.productId)) return `product id ${JSON.stringify(device.productId)} is not valid: use 10 upper-case letters or digits`;
  if (!isValidDeviceName(device.deviceName)) return `device name ${JSON.stringify(device.deviceName)} is not valid: use 1 to 48 letters, digits or _ - . : @`;
  if (typeof device.deviceSecret !== 'string' || device.deviceSecret.length === 0) return 'deviceSecret is missing: give the base64 device secret';
  if (!isBase64Secret(device.deviceSecret)) {
    return 'deviceSecret is not base64: give the device secret as the console shows it (letters, digits, + and /, up to two = at the end)';
  }
  return undefined;
}

function productProblem(product: RegisteredProduct): string | undefined {
  if (!isValidProductId(product.productId)) return `product id ${JSON.stringify(product.productId)} is not valid: use 10 upper-case letters or digits`;
  // Its first 16 characters are the AES key of the registration reply.
  if (typeof product.productSecret !== 'string' || product.productSecret.length < 16) return 'productSecret must have at least 16 characters (give the product secret as the console shows it)';
  if (typeof product.dynamicRegistration !== 'boolean') return 'dynamicRegistration must be true or false';
  return undefined;
}

/** The first change writes a temp file beside the registry: find out now, not at the first 500. */
async function requireWritableDir(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const refuse = (why: string, cause?: unknown): RegistryError =>
    new RegistryError(`registry file ${path}: its directory ${dir} ${why}: create it, or give a --registry path in a writable directory`, { cause });
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    throw refuse('does not exist', error);
  }
  if (!isDirectory) throw refuse('is not a directory');
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refuse('is not writable', error);
  }
}


export function parseRegistry(text: string, source = 'registry'): RegistryDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the fault, which may be part of a secret: line and
    // column only, and no cause kept (a printed cause would show the quote again).
    throw new RegistryError(`${source} is not valid JSON (${describeJsonError(error instanceof Error ? error.message : '', text)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RegistryError(`${source} must be a JSON object ${REGISTRY_SHAPE}`);
  // The emulator rewrites the file on every change and keeps only devices and bindings: anything
  // else (a vendor device_info.json, say) would be destroyed, so it is refused, not ignored.
  const obj = raw as Record<string, unknown>;
  const foreign = Object.keys(obj).filter((k) => !REGISTRY_KEYS.has(k));
  if (foreign.length > 0) {
    const hint = 'auth_mode' in obj || 'key_deviceinfo' in obj ? ' (it looks like a vendor device_info.json, which is not a registry)' : '';
    throw new RegistryError(`${source} is not a hub emulator registry${hint}: expected ${REGISTRY_SHAPE}, found field(s) ${foreign.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  if (!Array.isArray(obj['devices'])) throw new RegistryError(`${source}: "devices" must be an array (registry shape ${REGISTRY_SHAPE})`);
  const doc: RegistryDocument = { devices: [], bindings: [] };
  obj['devices'].forEach((d: unknown, i) => {
    const e = d as Partial<RegisteredDevice>;
    if (typeof e?.productId !== 'string' || typeof e.deviceName !== 'string' || typeof e.deviceSecret !== 'string') {
      throw new RegistryError(`${source}: devices[${i}] needs string productId, deviceName and deviceSecret`);
    }
    const device: RegisteredDevice = { productId: e.productId, deviceName: e.deviceName, deviceSecret: e.deviceSecret };
    const problem = deviceProblem(device);
    if (problem) throw new RegistryError(`${source}: devices[${i}]: ${problem}`);
    if (e.gateway === true) device.gateway = true;
    doc.devices.push(device);
  });
  // Left out, nothing is bound: the rewrite adds it, so nothing in the file is lost.
  const bindings = obj['bindings'] ?? [];
  if (!Array.isArray(bindings)) throw new RegistryError(`${source}: "bindings" must be an array, [] when nothing is bound (registry shape ${REGISTRY_SHAPE})`);
  bindings.forEach((b: unknown, i) => {
    const e = b as Partial<Binding>;
    if (typeof e?.gateway !== 'string' || typeof e.subdevice !== 'string') {
      throw new RegistryError(`${source}: bindings[${i}] needs string gateway and subdevice ("PRODUCTID/name")`);
    }
    doc.bindings.push({ gateway: e.gateway, subdevice: e.subdevice });
  });
  const products = obj['products'] ?? [];
  if (!Array.isArray(products)) throw new RegistryError(`${source}: "products" must be an array of {"productId", "productSecret", "dynamicRegistration"}`);
  if (products.length > 0) doc.products = [];
  products.forEach((p: unknown, i) => {
    const e = p as Partial<RegisteredProduct>;
    const product: RegisteredProduct = { productId: String(e?.productId), productSecret: typeof e?.productSecret === 'string' ? e.productSecret : '', dynamicRegistration: e?.dynamicRegistration === true };
    const problem = productProblem(product);
    if (problem) throw new RegistryError(`${source}: products[${i}]: ${problem}`);
    doc.products?.push(product);
  });
  const productTopics = obj['productTopics'];
  if (productTopics !== undefined) {
    if (typeof productTopics !== 'object' || productTopics === null || Array.isArray(productTopics)) throw new RegistryError(`${source}: "productTopics" must be an object {"PRODUCTID": ["user/alarm", ...]}`);
    for (const [pid, topics] of Object.entries(productTopics)) {
      const problem = isValidProductId(pid) ? productTopicsProblem(topics) : `${JSON.stringify(pid)} is not a product id`;
      if (problem) throw new RegistryError(`${source}: productTopics.${pid}: ${problem}`);
    }
    doc.productTopics = productTopics as Record<string, string[]>;
  }
  return doc;
}
