import test from 'ava';
import { FirmwareStorageError } from '@iotgw/domain';
import { storageError } from '../src/storage-errors.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

test('disk full and permission errors name the path and the fix', (t) => {
  const full = storageError(errno('ENOSPC'), 'write the partial firmware file', '/data/firmware/x.part');
  t.true(full instanceof FirmwareStorageError);
  t.regex(full.message, /disk full .*\/data\/firmware\/x\.part: free space/);
  t.regex(storageError(errno('EACCES'), 'write', '/d').message, /no permission to write \/d: make the data dir writable/);
  t.regex(storageError(errno('EROFS'), 'write', '/d').message, /no permission/);
});
