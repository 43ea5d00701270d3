// Runs the wasm build of the analysis engine over PDF files under Node:
// `node run.mjs PKG_DIR FILE...`. Each file gets a fresh module instance, so
// the memory figure is that file's peak; the timing is the fastest of 5 runs
// in a second instance (as natively: on a shared machine noise only adds).
// The memory figure is that of a third instance reading the file by ranges,
// as the Worker reads R2 (the file is not held in wasm memory). Prints one
// line per file: name, bytes, ms, peak MiB.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkg, ...files] = process.argv.slice(2);
const js = pathToFileURL(resolve(pkg, 'bench.js')).href;
const wasmBytes = readFileSync(resolve(pkg, 'bench_bg.wasm'));
let n = 0;
async function fresh() {
  const m = await import(`${js}?instance=${n++}`);
  m.initSync({ module: wasmBytes });
  return m;
}
for (const file of files) {
  const pdf = readFileSync(file);
  const m1 = await fresh();
  const pages = m1.analyse_pdf_by_ranges(pdf.length, (offset, len) =>
    pdf.subarray(offset, Math.min(pdf.length, offset + len)));
  const peak = m1.memory_bytes();
  if (pages < 0) { console.log(`${basename(file)} error`); continue; }
  const m2 = await fresh();
  let ms = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    m2.analyse_pdf(pdf);
    ms = Math.min(ms, Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(`${basename(file)} ${pdf.length} ${ms.toFixed(2)} ${(peak / 1048576).toFixed(1)}`);
}
