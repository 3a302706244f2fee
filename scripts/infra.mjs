#!/usr/bin/env node
// Local infrastructure CLI.
//
//   node scripts/infra.mjs ensure [--no-install] [--only postgres,redis,nats] [--timeout 30] [--json]
//       Start (or, as root, install with apt-get) whatever is missing; exit 0 when all are up.
//   node scripts/infra.mjs status [--only ...] [--json]
//       Check only; exit 0 when all are up, 1 otherwise.
//
// `npm run setup` runs `ensure`.

import { parseArgs } from 'node:util';
import { ensureInfra, infraStatus, InfraError, SERVICES } from './lib/infra.mjs';

const USAGE = `usage: node scripts/infra.mjs <ensure|status> [options]

  ensure   start what is not running (install missing packages when root), wait until up
  status   only check

options:
  --only <list>     comma-separated subset of: ${Object.keys(SERVICES).join(', ')}
  --no-install      never run apt-get (ensure)
  --timeout <sec>   how long to wait for a started service (default 30)
  --json            print a JSON summary on stdout instead of one line per service
`;

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        only: { type: 'string' },
        'no-install': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals.length > 1) {
    process.stderr.write(`unexpected arguments: ${positionals.slice(1).join(' ')}\n\n${USAGE}`);
    return 2;
  }

  const services = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(SERVICES);
  const unknown = services.filter((s) => !SERVICES[s]);
  if (unknown.length) {
    process.stderr.write(`unknown service(s): ${unknown.join(', ')} (known: ${Object.keys(SERVICES).join(', ')})\n`);
    return 2;
  }
  const timeoutSec = values.timeout === undefined ? 30 : Number(values.timeout);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
    process.stderr.write(`--timeout must be a positive number of seconds\n`);
    return 2;
  }
  // With --json the per-service lines go to stderr so stdout stays parseable.
  const log = values.json ? (line) => process.stderr.write(`${line}\n`) : (line) => process.stdout.write(`${line}\n`);

  switch (command) {
    case 'ensure': {
      try {
        const results = await ensureInfra({ log, install: !values['no-install'], services, timeoutMs: timeoutSec * 1000 });
        if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, services: strip(results) }, null, 2)}\n`);
        return 0;
      } catch (err) {
        if (!(err instanceof InfraError)) throw err;
        if (values.json) process.stdout.write(`${JSON.stringify({ ok: false, services: strip(err.results) }, null, 2)}\n`);
        process.stderr.write(`infra: ${err.message}\n`);
        return 1;
      }
    }
    case 'status': {
      const results = await infraStatus({ log, services });
      const ok = Object.values(results).every((r) => r.ok);
      if (values.json) process.stdout.write(`${JSON.stringify({ ok, services: results }, null, 2)}\n`);
      return ok ? 0 : 1;
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

function strip(results) {
  const out = {};
  for (const [name, r] of Object.entries(results)) {
    out[name] = Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'started'));
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`infra: ${err.stack || err}\n`);
    process.exitCode = 1;
  },
);
