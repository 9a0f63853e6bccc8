// Helpers for hone's browser tests and the first-render benchmark: a free loopback port,
// a hone process started and stopped by pid, and Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const frontendDir = process.env.HONE_FRONTEND_DIR || path.resolve(here, '../../webui/frontend');

/** playwright-core comes from webui/frontend's lockfile (scripts/setup runs npm ci there). */
export function loadPlaywright() {
  const require = createRequire(path.join(frontendDir, 'package.json'));
  return require('playwright-core');
}

export const kChromium = process.env.HONE_CHROMIUM || '/usr/bin/chromium';

export async function launchBrowser(profileDir, viewport = { width: 1280, height: 800 }) {
  const { chromium } = loadPlaywright();
  return chromium.launchPersistentContext(profileDir, {
    executablePath: kChromium,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `hone ARGS` and resolves once it printed the web UI address
 * ("web UI: http://127.0.0.1:P/...#token=..."), or, when `port` is given, once
 * /api/v1/info answers there. Output goes to `log` (a write stream).
 */
export function startHone(hone, args, env, log, timeoutMs = 60000, port = 0) {
  const child = spawn(hone, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const onData = (d) => {
    text += d.toString();
    log?.write(d);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    let poll = 0;
    const timer = setTimeout(() => {
      clearInterval(poll);
      stopProcess(child);
      reject(new Error(`hone printed no web UI address within ${timeoutMs} ms:\n${text}`));
    }, timeoutMs);
    const check = () => {
      const m = /web UI:\s*(https?:\/\/\S+)/.exec(text);
      if (!m) return;
      clearTimeout(timer);
      clearInterval(poll);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      const u = new URL(m[1]);
      resolve({ child, address: m[1], origin: u.origin, output: () => text });
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    if (port) {
      const origin = `http://127.0.0.1:${port}`;
      poll = setInterval(async () => {
        try {
          const res = await fetch(`${origin}/api/v1/info`);
          if (!res.ok) return;
          clearInterval(poll);
          clearTimeout(timer);
          resolve({ child, address: `${origin}/`, origin, output: () => text });
        } catch { /* not listening yet */ }
      }, 200);
    }
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`hone exited (${code ?? sig}) before printing the web UI address:\n${text}`));
    });
  });
}

/** SIGINT, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(child, graceMs = 15000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGINT');
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it returns a truthy value or `timeoutMs` passes. */
export async function until(f, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}
