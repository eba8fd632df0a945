#!/usr/bin/env node
// Prints the gzipped size of the JavaScript loaded on first page load (the entry chunk
// and its static imports, from dist/.vite/manifest.json) and of all JavaScript.
// Exit code 1 when the initial JS is above the budget (BUDGET_KB, default 250).
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const budgetKb = Number(process.env.BUDGET_KB ?? 250);
const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const entries = Object.entries(manifest).filter(([, c]) => c.isEntry);
if (entries.length === 0) throw new Error("no entry chunk in the manifest");

const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const imp of chunk.imports ?? []) visit(imp);
};
for (const [key] of entries) visit(key);

const initialJs = [...initial].filter((f) => f.endsWith(".js"));
const initialGz = initialJs.reduce((s, f) => s + gz(f), 0);

const allJs = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js")).map((f) => `assets/${f}`);
const totalGz = allJs.reduce((s, f) => s + gz(f), 0);

console.log("Initial JS (entry + static imports):");
for (const f of initialJs) console.log(`  ${f.padEnd(48)} ${kb(gz(f)).padStart(10)} gz`);
console.log(`Initial JS gzipped: ${kb(initialGz)} (budget ${budgetKb} KB)`);
console.log(`Total JS gzipped:   ${kb(totalGz)} in ${allJs.length} files`);
if (initialGz > budgetKb * 1024) {
  console.error(`Initial JS is over budget by ${kb(initialGz - budgetKb * 1024)}`);
  process.exit(1);
}
