#!/usr/bin/env node
// Renders docs/protocol.md: the hand-written docs/protocol.intro.md followed by a reference of
// every verb in the protocol's COMMANDS registry (owner, doc string, request and reply `data`
// as JSON Schema) and of every server event in EVENTS (subject family, doc, `data` as JSON
// Schema), generated from the same zod schemas the services validate with.
//   node scripts/protocol-docs.mjs           write docs/protocol.md
//   node scripts/protocol-docs.mjs --check   exit 1 when docs/protocol.md is stale
// Reads packages/protocol/dist (build it first: npx tsc -b packages/protocol).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const introPath = join(root, 'docs/protocol.intro.md');
const outPath = join(root, 'docs/protocol.md');
const distPath = join(root, 'packages/protocol/dist/index.js');
export const START = '<!-- generated:start -->';
export const END = '<!-- generated:end -->';

/** Section titles per verb family (the part before the first dot); unknown families get their own. */
const FAMILIES = {
  ping: 'Session',
  session: 'Session',
  room: 'Rooms',
  floor: 'Push-to-talk floor',
  chat: 'Chat',
  channel: 'Channels',
  emoji: 'Custom emoji',
  signal: 'Signaling',
  pair: 'Signaling',
  presence: 'Presence',
  relay: 'Relays',
  rendezvous: 'Rendezvous',
  chunk: 'Chunks',
  call: 'Calls and media',
  media: 'Calls and media',
  ice: 'Calls and media',
};

const family = (verb) => FAMILIES[verb.split('.')[0]] ?? verb.split('.')[0];
const anchor = (verb) => `verb-${verb.replace(/[^A-Za-z0-9]+/g, '-')}`;

/** Request data as JSON Schema; top-level `.optional()` schemas are unwrapped and flagged. */
function requestSchema(schema) {
  const optional = schema.safeParse(undefined).success;
  const inner = optional && typeof schema.unwrap === 'function' ? schema.unwrap() : schema;
  return { optional, json: jsonSchema(inner, 'input') };
}

/**
 * What the server sends (`reply`, event `data`) as JSON Schema, output side.
 * @param {z.ZodType} schema @param {'input' | 'output'} [io]
 */
function jsonSchema(schema, io = 'output') {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

/** Top-level field names of an object schema, for the summary tables (`{a, b?}`). */
function fieldList(schema) {
  const json = jsonSchema(schema);
  if (json.type !== 'object' || !json.properties) return '';
  const required = new Set(json.required ?? []);
  const names = Object.keys(json.properties).map((k) => (required.has(k) ? k : `${k}?`));
  return `{${names.join(', ')}}`;
}

const FAMILY_DOC = {
  room: 'room (ordered, `seq`, replayed)',
  live: 'live (room, no `seq`, not replayed)',
  user: 'user (every connection)',
  conn: 'one connection',
  presence: 'presence watchers',
  gateway: 'the socket (gateway)',
};

export function renderEvents(events) {
  const out = [];
  out.push('## Reference: every event', '');
  out.push('Generated from the `EVENTS` map in `packages/protocol/src/events.ts`; do not edit by hand.');
  out.push('Each event names the stream it travels on: `room` events carry `room` and `seq`, arrive in');
  out.push('`seq` order and are replayed by `session.resume`; `live` room events carry `room` but no `seq`');
  out.push('and are never replayed; the others are addressed to a user, one connection, the watchers of');
  out.push('a user, or written by the gateway itself. `data` is given as JSON Schema (output side);');
  out.push('objects are closed (`additionalProperties: false`) in protocol v1, later versions may add fields.');
  out.push('');
  out.push('| event | travels on | data | |');
  out.push('|---|---|---|---|');
  for (const [type, spec] of Object.entries(events)) {
    out.push(`| [\`${type}\`](#${eventAnchor(type)}) | ${spec.on.map((f) => FAMILY_DOC[f]).join('; ')} | \`${fieldList(spec.schema)}\` | ${oneLine(spec.doc)} |`);
  }
  out.push('');
  for (const [type, spec] of Object.entries(events)) {
    out.push(`<a id="${eventAnchor(type)}"></a>`, '');
    out.push(`#### event \`${type}\``, '');
    out.push(`- Travels on: ${spec.on.map((f) => FAMILY_DOC[f]).join('; ')}`);
    out.push('', spec.doc, '');
    out.push('```json', JSON.stringify(jsonSchema(spec.schema), null, 2), '```', '');
  }
  return out.join('\n');
}

const eventAnchor = (type) => `event-${type.replace(/[^A-Za-z0-9]+/g, '-')}`;

export function renderReference(commands) {
  const byFamily = new Map();
  for (const [verb, spec] of Object.entries(commands)) {
    const f = family(verb);
    if (!byFamily.has(f)) byFamily.set(f, []);
    byFamily.get(f).push([verb, spec]);
  }
  const out = [];
  out.push('## Reference: every verb', '');
  out.push('Generated from the `COMMANDS` registry in `packages/protocol/src/registry.ts` by');
  out.push('`scripts/protocol-docs.mjs`; do not edit by hand. Each verb lists the service that answers');
  out.push('it (`gateway` = the gateway itself; otherwise a NATS request to `sb.cmd.<service>.<verb>`),');
  out.push('its request `data` as JSON Schema (draft 2020-12, input side: fields with defaults may be');
  out.push('omitted) and the `data` of its `<verb>.ok` reply (output side). Any verb may also be answered');
  out.push('with an `error` reply.');
  out.push('');
  out.push('| verb | service | reply data | |');
  out.push('|---|---|---|---|');
  for (const [verb, spec] of Object.entries(commands)) out.push(`| [\`${verb}\`](#${anchor(verb)}) | ${spec.service} | \`${verb}.ok\` \`${fieldList(spec.reply)}\` | ${oneLine(spec.doc)} |`);
  out.push('');
  for (const [title, verbs] of byFamily) {
    out.push(`### ${title}`, '');
    for (const [verb, spec] of verbs) {
      const { optional, json } = requestSchema(spec.schema);
      out.push(`<a id="${anchor(verb)}"></a>`, '');
      out.push(`#### \`${verb}\``, '');
      out.push(`- Service: \`${spec.service}\``);
      out.push(`- Reply: \`${verb}.ok\``);
      out.push(`- Request \`data\`: ${optional ? 'optional (may be omitted)' : 'required'}`);
      out.push('', spec.doc, '');
      out.push('Request `data`:', '');
      out.push('```json', JSON.stringify(json, null, 2), '```', '');
      out.push(`Reply \`${verb}.ok\` \`data\`:`, '');
      out.push('```json', JSON.stringify(jsonSchema(spec.reply), null, 2), '```', '');
    }
  }
  return out.join('\n');
}

const oneLine = (s) => String(s).replace(/\s+/g, ' ').replace(/\|/g, '\\|');

export async function render() {
  if (!existsSync(distPath)) throw new Error(`${relative(root, distPath)} is missing: run npx tsc -b packages/protocol`);
  const { COMMANDS, EVENTS } = await import(pathToFileURL(distPath).href);
  const intro = readFileSync(introPath, 'utf8').trimEnd();
  const header = '<!-- docs/protocol.md is generated by scripts/protocol-docs.mjs from docs/protocol.intro.md and the protocol schemas; edit those, then run npm run docs. -->';
  return `${header}\n\n${intro}\n\n${START}\n\n${renderReference(COMMANDS)}\n${renderEvents(EVENTS)}\n${END}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const check = process.argv.includes('--check');
  try {
    const next = await render();
    const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
    if (check) {
      if (current !== next) {
        console.error('docs/protocol.md is stale: run `npm run docs` (node scripts/protocol-docs.mjs)');
        process.exit(1);
      }
      console.log('docs/protocol.md is current');
    } else if (current !== next) {
      writeFileSync(outPath, next);
      console.log('wrote docs/protocol.md');
    } else {
      console.log('docs/protocol.md is current');
    }
  } catch (err) {
    console.error(`protocol-docs: ${err.message}`);
    process.exit(2);
  }
}
