// cli-progress ships no types; this declares the part the demo uses.
declare module 'cli-progress' {
  interface BarOptions {
    format?: string;
    stream?: NodeJS.WritableStream;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
  }
  // Declared for the default export below, which is how node loads this CommonJS module.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  class SingleBar {
    constructor(options: BarOptions, preset?: object);
    start(total: number, value: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    stop(): void;
  }
  const cliProgress: { SingleBar: typeof SingleBar; Presets: { shades_classic: object } };
  export default cliProgress;
}
