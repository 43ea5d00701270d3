// Resumable uploads from a real resumable-upload client: tus-js-client (the
// client behind Uppy) in Node against wrangler dev, in both protocols it
// speaks here — tus 1.0 and the IETF draft — from buffers and from file
// streams, with chunk sizes that are not multiples of the server's 8 MiB
// parts, and once through a proxy that drops the connection in the middle
// of an append. Every upload must become its job, with the file's SHA-256,
// in a bounded number of requests. Run by `cargo xtask test` after the
// browser scripts; exits non-zero on the first failed check.

import { Upload } from 'tus-js-client';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { check, checks, paddedPdf } from './helpers.mjs';

const base = process.env.DOCKET_URL;
assert.ok(base, 'DOCKET_URL is set by cargo xtask test');

/** A proxy to the server that cuts the connection of the first PATCH once
 * `cutAfter` bytes of it have gone through. */
function droppingProxy(target, cutAfter) {
  const { hostname, port } = new URL(target);
  let cut = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    // Bytes of the PATCH going through (a kept-alive connection carries
    // several requests: a request's head starts a chunk).
    let sent = 0;
    let patch = false;
    client.on('data', (chunk) => {
      if (cut === 0 && chunk.subarray(0, 6).toString() === 'PATCH ') {
        patch = true;
        sent = 0;
      }
      sent += chunk.length;
      if (patch && sent > cutAfter) {
        cut += 1;
        patch = false;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({
    url: `http://127.0.0.1:${server.address().port}`,
    cuts: () => cut,
    close: () => server.close(),
  })));
}

/** Uploads `source` with tus-js-client; the upload's URL and the requests made. */
function tusUpload(endpoint, token, source, options) {
  let requests = 0;
  return new Promise((resolve, reject) => {
    const upload = new Upload(source, {
      endpoint: `${endpoint}/api/v1/jobs`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: options.filename, filetype: 'application/pdf' },
      retryDelays: [0, 300, 1000, 2000],
      removeFingerprintOnSuccess: true,
      onBeforeRequest: () => {
        requests += 1;
        if (requests > 200) reject(new Error(`${requests} requests: the upload does not move on`));
      },
      onError: reject,
      onSuccess: () => resolve({ url: upload.url, requests }),
      ...options.tus,
    });
    upload.start();
  });
}

/** The job an upload made, once it has ended. */
async function job(token, id) {
  const started = Date.now();
  for (;;) {
    const r = await fetch(`${base}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `GET the job ${id}`);
    const j = await r.json();
    if (['completed', 'error', 'cancelled'].includes(j.state)) return j;
    assert.ok(Date.now() - started < 120000, `job ${id} still ${j.state}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'docket-tus-'));
try {
  const minted = await (await fetch(`${base}/api/v1/tokens`, { method: 'POST' })).json();
  const token = minted.token;

  // Discovery: OPTIONS says what the server speaks.
  const options = await fetch(`${base}/api/v1/jobs`, { method: 'OPTIONS', headers: { 'tus-resumable': '1.0.0' } });
  assert.equal(options.headers.get('tus-version'), '1.0.0');
  assert.match(options.headers.get('tus-extension'), /creation/);
  assert.ok(Number(options.headers.get('tus-max-size')) > 0);
  check('OPTIONS tells tus clients the version, extensions and largest size');

  const cases = [
    { name: 'tus 1.0, a buffer, 5,000,000-byte chunks', size: 19_000_000, protocol: 'tus-v1', chunk: 5_000_000, stream: false },
    { name: 'tus 1.0, a file stream, 16 MiB chunks', size: 21_500_000, protocol: 'tus-v1', chunk: 16 * 1024 * 1024, stream: true },
    { name: 'the IETF draft, a file stream, 16 MiB chunks', size: 41_500_000, protocol: 'ietf-draft-05', chunk: 16 * 1024 * 1024, stream: true },
    { name: 'tus 1.0, a buffer, 6,000,000-byte chunks, the connection dropped mid-append', size: 17_000_000, protocol: 'tus-v1', chunk: 6_000_000, stream: false, drop: 2_500_000 },
  ];
  for (const [i, c] of cases.entries()) {
    const bytes = paddedPdf(c.size);
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    const file = path.join(work, `case-${i}.pdf`);
    fs.writeFileSync(file, bytes);
    const source = c.stream ? fs.createReadStream(file) : bytes;
    const proxy = c.drop ? await droppingProxy(base, c.drop) : null;
    const tus = { protocol: c.protocol, chunkSize: c.chunk, ...(c.stream ? { uploadSize: bytes.length } : {}) };
    const done = await tusUpload(proxy ? proxy.url : base, token, source, { filename: `tus-${i}.pdf`, tus });
    if (proxy) {
      assert.equal(proxy.cuts(), 1, 'the proxy dropped one append');
      proxy.close();
    }
    const id = new URL(done.url, base).pathname.split('/').pop();
    const made = await job(token, id);
    assert.equal(made.sha256, sha, `${c.name}: the job's SHA-256`);
    assert.equal(made.size_bytes, bytes.length);
    assert.equal(made.filename, `tus-${i}.pdf`);
    assert.equal(made.state, 'completed', JSON.stringify(made.error ?? {}));
    console.log(`# ${c.name}: ${bytes.length} bytes in ${done.requests} requests`);
    check(`${c.name}: the upload becomes its job with the file's SHA-256`);
  }
  console.log(`browser end-to-end: ${checks.length} passed, 0 failed (tus-js-client)`);
} catch (e) {
  console.error(e);
  console.log(`browser end-to-end: ${checks.length} passed, 1 failed (tus-js-client)`);
  process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
