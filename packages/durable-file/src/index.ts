export { writeFileAtomic, syncDirectory, type WriteFileAtomicOptions } from './write-file-atomic.js';
