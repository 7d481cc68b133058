// Prints the gzipped size of the built JavaScript and fails the build above the budget.
//   node scripts/check-bundle-size.mjs [dist-dir]     (LOGCENTER_JS_BUDGET_KB overrides 150)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
const budgetKb = Number(process.env.LOGCENTER_JS_BUDGET_KB ?? 150);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

let files;
try {
  files = walk(dist).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
} catch (err) {
  console.error(`check-bundle-size: cannot read ${dist}: ${err.message}`);
  process.exit(1);
}
let jsGzip = 0;
for (const file of files.sort()) {
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 }).length;
  if (file.endsWith('.js')) jsGzip += gz;
  console.log(`  ${relative(dist, file).padEnd(40)} ${(raw.length / 1024).toFixed(1).padStart(8)} KB  gzip ${(gz / 1024).toFixed(1).padStart(7)} KB`);
}
const kb = jsGzip / 1024;
console.log(`bundle: ${kb.toFixed(1)} KB of gzipped JavaScript (budget ${budgetKb} KB)`);
if (kb > budgetKb) {
  console.error(`check-bundle-size: FAILED - ${kb.toFixed(1)} KB > ${budgetKb} KB`);
  process.exit(1);
}
