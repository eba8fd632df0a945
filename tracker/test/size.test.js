import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { options } from '../scripts/build.mjs';
import { BUDGET, gzipSize } from '../scripts/size.mjs';

describe('size budget', () => {
  it(`builds to at most ${BUDGET} bytes gzipped, with no runtime dependencies or console calls`, async () => {
    const result = await build({ ...options, write: false });
    const code = result.outputFiles[0].contents;
    const gz = gzipSize(code);
    console.info(`t.js: ${code.length} B minified, ${gz} B gzipped (budget ${BUDGET})`);
    expect(gz).toBeLessThanOrEqual(BUDGET);
    const text = Buffer.from(code).toString();
    expect(text).not.toMatch(/\bconsole\./);
    expect(text).not.toMatch(/\brequire\(|\bimport\b/);
    // dist/t.js (what the server serves) is this build
    expect(readFileSync(new URL('../dist/t.js', import.meta.url)).equals(Buffer.from(code))).toBe(true);
  });
});
