// Builds src/t.js into the minified, dependency-free dist/t.js served at /t.js.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const options = {
  absWorkingDir: root,
  entryPoints: ['src/t.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2017',
  legalComments: 'none',
  outfile: 'dist/t.js',
  logLevel: 'warning',
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build(options);
}
