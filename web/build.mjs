// web/build.mjs — bundles the console into one directory rampartd serves
// ([console] assets): index.html, app.js, app.css. No CDN: uPlot is bundled.
//   node build.mjs [OUTDIR]      (default: dist)
import * as esbuild from 'esbuild';
import { mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, 'dist');
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: out,
  logLevel: 'warning',
  loader: { '.css': 'css' },
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
console.log(`console bundle written to ${out}`);
