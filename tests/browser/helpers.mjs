// What the browser scripts share: PDFs written from object bodies,
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

