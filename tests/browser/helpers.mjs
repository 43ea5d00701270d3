// What the browser scripts share: PDFs written from object bodies (a page
// of numbers, one padded to a size),
// axe-core's verdict on a page, and the list of checks passed.

import axe from 'axe-core';

/** A PDF from object bodies (strings or Buffers; 1 is the catalog). */
export function buildPdf(objects, trailer = '') {
  const parts = [];
  const offsets = [];
  let length = 0;
  const add = (chunk) => { const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1'); parts.push(b); length += b.length; };
  add('%PDF-1.7\n');
  objects.forEach((o, i) => {
    offsets.push(length);
    add(`${i + 1} 0 obj\n`);
    add(o);
    add('\nendobj\n');
  });
  const xref = length;
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer}>>\nstartxref\n${xref}\n%%EOF\n`;
  add(tail);
  return Buffer.concat(parts);
}

/** A one-page PDF (Helvetica as /F1) whose page draws `content`; `more`
 * objects follow from 6 on. */
export function pagePdf(content, more = [], trailer = '') {
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ...more,
  ], trailer);
}

/** A one-page PDF of numbers; `more` objects follow from 6 on. */
export function numbersPdf(more, trailer) {
  return pagePdf('BT /F1 12 Tf 72 720 Td (Totals 1234 2345 3456 4567 5678 1290 1931 2347 3112 4785) Tj ET', more, trailer);
}

/** A one-page PDF of numbers padded to about `size` bytes with random bytes. */
export function paddedPdf(size) {
  const noise = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) noise.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  const stream = Buffer.concat([Buffer.from(`<< /Length ${size} >>\nstream\n`, 'latin1'), noise, Buffer.from('\nendstream', 'latin1')]);
  return numbersPdf([stream]);
}

/** axe-core's violations on the page as it is now (WCAG 2 A and AA). */
export async function violations(p) {
  await p.addScriptTag({ content: axe.source });
  return p.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
  });
}

export const checks = [];
export function check(name) {
  checks.push(name);
  console.log(`ok - ${name}`);
}

