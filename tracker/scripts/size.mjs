// Prints the size of dist/t.js: raw, gzip (default level, what most servers use), gzip -9 and brotli.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync } from 'node:zlib';

// 3 KB until the consent purposes (issue 22) took 74 bytes more; 3.1 KB since.
export const BUDGET = 3200;
export const gzipSize = (buf) => gzipSync(buf).length;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const code = readFileSync(new URL('../dist/t.js', import.meta.url));
  const gz = gzipSize(code);
  console.log(`dist/t.js: ${code.length} B raw, ${gz} B gzip, ${gzipSync(code, { level: 9 }).length} B gzip -9, ${brotliCompressSync(code).length} B brotli (budget ${BUDGET} B gzip)`);
  if (gz > BUDGET) {
    console.error('over budget');
    process.exit(1);
  }
}
