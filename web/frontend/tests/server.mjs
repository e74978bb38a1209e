// Starts a real `coopmap serve` for the browser tests and the benchmark:
// a temporary GeoPackage with the demo data (demo/load.sh), the XSS
// fixture and a small overlay, on a free loopback port. COOPMAP_BIN names the binary
// (default bin/coopmap, built by make build with the front end embedded).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../../..');
const BIN = resolve(ROOT, process.env.COOPMAP_BIN || 'bin/coopmap');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

/**
 * startServer loads the data and serves it; stop() ends the server and
 * removes the files. extra(db, bin) may import more data first. With
 * graph, the server routes (/route, tours' cue sheets, the planner) on
 * the demo graph, which load.sh builds into the temporary directory.
 */
export async function startServer({ extra, graph = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'coopmap-web-'));
  const db = join(dir, 'coopmap.gpkg');
  const graphFile = join(dir, 'coopmap.graph');
  const env = { ...process.env, BIN, DB: db, GRAPH: graphFile };
  execFileSync(join(ROOT, 'demo/load.sh'), { env, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(BIN, ['import', '--db', db, '--source', 'xss-fixture', '--kind', 'coops', '--title', 'XSS fixture <b>bold</b>',
    '--licence', 'CC0-1.0', '--attribution', 'Fixture <script>alert(4)</script>', '--format', 'geojson', '--show', '0',
    join(here, 'fixtures/xss.geojson')], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(BIN, ['import', '--db', db, '--source', 'test-orchards', '--kind', 'features', '--title', 'Test orchards',
    '--licence', 'OGL-UK-3.0', '--attribution', 'Test overlay, Open Government Licence', '--format', 'geojson', '--show', '0',
    join(here, 'fixtures/overlay.geojson')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (extra) await extra(db, BIN);
  const port = await freePort();
  const args = ['serve', '--db', db, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn', ...(graph ? ['--graph', graphFile] : [])];
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error('coopmap serve did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    db,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
