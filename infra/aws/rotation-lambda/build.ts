import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * One ESM file for the Node.js 20 Lambda runtime, everything bundled (the AWS SDK too, so the
 * function does not depend on the runtime's copy). Upload it as index.mjs.
 */
export async function buildRotationLambda(outfile = join(here, 'dist', 'index.mjs')): Promise<string> {
  await build({
    entryPoints: [join(here, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Some bundled CommonJS packages call require(): give the ESM bundle one.
    banner: { js: "import { createRequire as __lgCreateRequire } from 'node:module'; const require = __lgCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    legalComments: 'none',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await buildRotationLambda(process.argv[2]));
}
