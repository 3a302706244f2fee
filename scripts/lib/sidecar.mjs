// A helper server the stack runs next to its services (coturn, LiveKit): started with its
// output in a log file, waited for until `ready()` answers, stopped with SIGTERM (SIGKILL after
// 5 s). Its temporary directory goes with it. Plain ESM, node built-ins only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts `binary args` (`args` may be a function of the fresh temporary directory, for config
 * and pid files) and resolves `{ child, dir, logFile, stop }` once `ready()` is true; throws with
 * the log's tail when the process exits first or `readyTimeoutMs` passes.
 * @param {{ name: string, binary: string, args: string[] | ((dir: string) => string[]), logFile?: string,
 *   stdio?: import('node:child_process').StdioOptions, ready: () => Promise<boolean>, readyTimeoutMs: number,
 *   logTailChars?: number }} options
 */
export async function startSidecar({ name, binary, args, logFile, stdio, ready, readyTimeoutMs, logTailChars = 2000 }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sb-${name.toLowerCase()}-`));
  const argv = typeof args === 'function' ? args(dir) : args;
  logFile ??= path.join(dir, `${name.toLowerCase()}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(binary, argv, { stdio: stdio ?? ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exit;
  child.on('exit', (code, signal) => (exit = signal ?? code));
  child.on('error', (err) => (exit = err.message));
  const stop = async () => {
    if (exit === undefined) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(force);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await ready())) {
    if (exit !== undefined || Date.now() > deadline) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-logTailChars) : '';
      await stop();
      throw new Error(`${name} did not become ready (${exit !== undefined ? `exited ${exit}` : 'timeout'}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, dir, logFile, stop };
}
