/**
 * Debian's headless Chromium driven from its command line: a screenshot of a page, and the layout boxes of its
 * elements. Each run gets its own profile directory and its whole process group is killed afterwards.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = 'chromium-headless-shell';
export const CHROMIUM_PACKAGE = 'chromium-headless-shell';
const RUN_TIMEOUT_MS = 60_000;

export interface Viewport {
  width: number;
  height: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  classes: string[];
  /** The element's data-* attributes, and those of its table row as `row.<name>`. */
  data: Record<string, string>;
}

/** Renders the page at `htmlPath` and writes a PNG of the viewport to `pngPath`. */
export async function screenshot(htmlPath: string, pngPath: string, viewport: Viewport): Promise<void> {
  await runChromium([`--screenshot=${pngPath}`, pageUrl(htmlPath)], viewport);
}

/**
 * The boxes of the elements matching `selector`, laid out in the same viewport. The page is loaded from a copy with
 * a measuring script added at the end (scripts take no space, so the layout is the screenshot's) and with its
 * Content-Security-Policy opened for that script.
 */
export async function measure(htmlPath: string, selector: string, viewport: Viewport): Promise<Box[]> {
  const html = readFileSync(htmlPath, 'utf8');
  const script = `<script>
const boxes = [...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => {
  const box = element.getBoundingClientRect();
  const data = { ...element.dataset };
  for (const [key, value] of Object.entries(element.closest('tr')?.dataset ?? {})) data['row.' + key] = value;
  return { x: box.x, y: box.y, width: box.width, height: box.height, classes: (element.getAttribute('class') ?? '').split(' ').filter(Boolean), data };
});
document.documentElement.setAttribute('data-boxes', JSON.stringify(boxes));
</script>`;
  const measured = html
    .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
    .replace('</body>', `${script}</body>`);
  const directory = mkdtempSync(join(tmpdir(), 'p2pnc-measure-'));
  try {
    const copy = join(directory, 'page.html');
    writeFileSync(copy, measured);
    const dom = await runChromium(['--dump-dom', pageUrl(copy)], viewport);
    const attribute = /<html[^>]*\sdata-boxes="([^"]*)"/.exec(dom)?.[1];
    if (attribute === undefined)
      throw new Error(`the measuring script did not run; chromium printed:\n${dom.slice(0, 500)}`);
    return JSON.parse(unescapeAttribute(attribute)) as Box[];
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function pageUrl(path: string): string {
  return pathToFileURL(path).href;
}

function unescapeAttribute(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Runs one headless Chromium, returns its standard output. */
async function runChromium(args: string[], viewport: Viewport): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'p2pnc-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      // Root in a container has no user namespace for the sandbox; the page is our own file.
      '--no-sandbox',
      `--user-data-dir=${profile}`,
      `--window-size=${viewport.width},${viewport.height}`,
      '--force-device-scale-factor=1',
      // Colours come back as the CSS says, not converted to a display profile.
      '--force-color-profile=srgb',
      '--hide-scrollbars',
      '--disable-gpu',
      '--no-first-run',
      ...args,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killGroup = () => {
    try {
      // The whole group: the browser leaves helper processes (zygote, GPU) that outlive it.
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const deadline = setTimeout(killGroup, RUN_TIMEOUT_MS);
  try {
    // 'close', not 'exit': the page printed by --dump-dom may still be in the pipe at exit.
    const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    const failed = once(child, 'error').then(([error]) => Promise.reject(error as Error));
    const [code, signal] = await Promise.race([exited, failed]);
    if (code !== 0)
      throw new Error(
        `${CHROMIUM} ${signal ? `was killed (${signal}; limit ${RUN_TIMEOUT_MS} ms)` : `exited with ${code}`}: ${stderr.slice(-1000)}`,
      );
    return stdout;
  } finally {
    clearTimeout(deadline);
    killGroup();
    rmSync(profile, { recursive: true, force: true });
  }
}
