import { FirmwareStorageError, isGatewayError, type GatewayError } from '@iotgw/domain';

/**
 * Local file-system failures become FirmwareStorageError with a message that says what to do:
 * an operator on a gateway sees "disk full in /var/lib/iotgw", not "ENOSPC".
 */
export function storageError(e: unknown, action: string, path: string): GatewayError {
  if (isGatewayError(e)) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new FirmwareStorageError(
        `disk full while trying to ${action} ${path}: free space in the data dir or lower the firmware cache limit`,
        { cause: e, details: { errno: code } },
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new FirmwareStorageError(
        `no permission to ${action} ${path}: make the data dir writable by the gateway user`,
        { cause: e, details: { errno: code } },
      );
    default:
      return new FirmwareStorageError(
        `could not ${action} ${path}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e, details: { errno: code } },
      );
  }
}

/** Runs a file-system step, translating its failure. */
export async function onDisk<T>(action: string, path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw storageError(e, action, path);
  }
}
