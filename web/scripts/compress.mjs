#!/usr/bin/env node
// Writes a brotli (.br) and a gzip (.gz) twin beside every text file of the built dashboard
// (dist/, or the folder given as the first argument), each only where it is smaller: Rastro
// sends the twin a client accepts, with Content-Encoding, instead of compressing per request.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { extname, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = process.argv[2] ?? join(root, "dist");
const TEXT = new Set([".js", ".mjs", ".css", ".html", ".svg", ".json", ".txt", ".xml", ".webmanifest", ".map"]);

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === ".vite" ? [] : files(path);
    return TEXT.has(extname(entry.name)) ? [path] : [];
  });

let plain = 0;
let brotli = 0;
for (const file of files(dist)) {
  const body = readFileSync(file);
  const twins = [
    [".br", brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })],
    [".gz", gzipSync(body, { level: 9 })],
  ];
  for (const [suffix, compressed] of twins) {
    if (compressed.length < body.length) writeFileSync(file + suffix, compressed);
  }
  plain += body.length;
  brotli += Math.min(body.length, twins[0][1].length);
}
console.log(`compressed ${dist}: ${(plain / 1024).toFixed(0)} KB of text, ${(brotli / 1024).toFixed(0)} KB as brotli`);
