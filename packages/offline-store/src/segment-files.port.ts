/**
 * The store's only door to storage: a flat directory of segment files that are appended to,
 * read at offsets and removed whole. Never rewritten, never renamed, no temporary files. Tests
 * wrap it to inject faults (ENOSPC) exactly where the disk would produce them.
 */
export interface SegmentFiles {
  /** Names of the segment files present, any order. */
  list(): Promise<string[]>;
  /** Creates `name` (it must not exist) and opens it for appending. */
  create(name: string): Promise<SegmentWriter>;
  size(name: string): Promise<number>;
  /** `length` bytes at `position` (fewer at the end of the file). */
  read(name: string, position: number, length: number): Promise<Buffer>;
  remove(name: string): Promise<void>;
}

export interface SegmentWriter {
  /** Appends the chunks in order; on failure the file may hold a prefix of them (see `truncate`). */
  append(chunks: readonly Buffer[]): Promise<void>;
  /** Makes what was appended durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file back to `length` bytes (undoes a partial append). */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}
